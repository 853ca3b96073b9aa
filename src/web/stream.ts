// Live updates to the browsers over Server-Sent Events. A tab opens one stream naming what it
// shows (topics); it first gets a snapshot of that, then deltas. Changes are gathered for a
// short while and sent together, each delta serialised once for all tabs that share topics.
// A tab that cannot keep up is dropped: its EventSource reconnects and starts from a snapshot.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Changes, FleetCache } from "./cache.js";

/** What a stream carries besides the hosts and the broker state, which every page shows. */
export interface Topics {
  /** Every domain row. */
  domains: boolean;
  /** One domain only (the Domain page); its row travels even without `domains`. */
  domain: string | undefined;
  /** Pools and volumes. */
  storage: boolean;
  /** The event feed. */
  events: boolean;
}

/** Topics from a stream URL's query: `?topics=domains,storage,events&domain=<id>`. */
export function topicsOf(url: URL): Topics {
  const list = new Set((url.searchParams.get("topics") ?? "").split(",").filter(Boolean));
  return {
    domains: list.has("domains"),
    domain: url.searchParams.get("domain") ?? undefined,
    storage: list.has("storage"),
    events: list.has("events"),
  };
}

/** How long changes are gathered before they are sent (ms). */
export const FLUSH_MS = 50;
/** A tab whose unsent data exceeds this many bytes is dropped (it reconnects). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** Host rows go out at most this often (a statistics sweep changes them many times). */
const HOSTS_EVERY_MS = 500;
/** A comment line this often keeps idle connections (and proxies) open. */
const KEEPALIVE_MS = 15_000;

interface Client {
  res: ServerResponse;
  topics: Topics;
  key: string;
}

/** The tabs following the cache. */
export class StreamHub {
  private readonly clients = new Set<Client>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly keepalive: NodeJS.Timeout;
  /** Host rows sum every domain: they are sent at most every HOSTS_EVERY_MS. */
  private hostsSentAt = 0;
  private hostsPending = false;

  constructor(private readonly cache: FleetCache) {
    this.keepalive = setInterval(() => {
      for (const c of this.clients) this.write(c, ": keepalive\n\n");
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** How many tabs are following. */
  get size(): number {
    return this.clients.size;
  }

  /** Called by the cache when something changed: sends the changes a moment later. */
  scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  /** Starts a stream on `res`: headers, the snapshot, then deltas until the tab goes. */
  attach(req: IncomingMessage, res: ServerResponse, topics: Topics): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.socket?.setNoDelay(true);
    const client: Client = { res, topics, key: topicKey(topics) };
    this.clients.add(client);
    const drop = () => this.clients.delete(client);
    req.on("close", drop);
    res.on("error", drop);
    // The reconnect delay a browser uses after the stream breaks.
    this.write(client, `retry: 1000\n`);
    this.write(client, frame("snapshot", this.snapshot(topics)));
  }

  /** Ends every stream (the server is stopping). */
  close(): void {
    clearInterval(this.keepalive);
    clearTimeout(this.flushTimer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private snapshot(t: Topics): unknown {
    const c = this.cache;
    const one = t.domain !== undefined ? c.domainRow(t.domain) : undefined;
    return {
      now: Date.now(),
      broker: c.broker,
      hosts: c.hostRows(),
      ...(t.domains ? { domains: c.domainRows() } : one ? { domains: [one] } : { domains: [] }),
      ...(t.storage ? { pools: c.poolRows(), volumes: c.volumeRows() } : {}),
      ...(t.events ? { events: c.feed.all() } : {}),
    };
  }

  /** Sends what changed to every tab, one serialisation per distinct set of topics. */
  flush(): void {
    const changes = this.cache.takeChanges();
    if (this.clients.size === 0) return;
    const frames = new Map<string, string | null>();
    const shared = this.sharedPart(changes);
    for (const client of this.clients) {
      let text = frames.get(client.key);
      if (text === undefined) {
        text = this.delta(changes, shared, client.topics);
        frames.set(client.key, text);
      }
      if (text !== null) this.write(client, text);
    }
  }

  private sharedPart(ch: Changes): Record<string, unknown> {
    const c = this.cache;
    const now = Date.now();
    const part: Record<string, unknown> = { now };
    if (ch.broker) part.broker = c.broker;
    if (ch.hosts || this.hostsPending) {
      if (now - this.hostsSentAt >= HOSTS_EVERY_MS || ch.broker) {
        part.hosts = c.hostRows();
        this.hostsSentAt = now;
        this.hostsPending = false;
      } else if (!this.hostsPending) {
        this.hostsPending = true;
        setTimeout(() => this.scheduleFlush(), HOSTS_EVERY_MS).unref();
      }
    }
    return part;
  }

  private delta(ch: Changes, shared: Record<string, unknown>, t: Topics): string | null {
    const c = this.cache;
    const d: Record<string, unknown> = { ...shared };
    const rows = (ids: Iterable<string>, row: (id: string) => unknown) => {
      const out: unknown[] = [];
      for (const id of ids) {
        const r = row(id);
        if (r) out.push(r);
      }
      return out;
    };
    if (t.domains) {
      if (ch.domains.upsert.size) d.domains = rows(ch.domains.upsert, (id) => c.domainRow(id));
      if (ch.domains.remove.size) d.domainsRemoved = [...ch.domains.remove];
    } else if (t.domain !== undefined) {
      if (ch.domains.upsert.has(t.domain)) d.domains = rows([t.domain], (id) => c.domainRow(id));
      if (ch.domains.remove.has(t.domain)) d.domainsRemoved = [t.domain];
    }
    if (t.storage) {
      if (ch.pools.upsert.size) d.pools = rows(ch.pools.upsert, (id) => c.poolRow(id));
      if (ch.pools.remove.size) d.poolsRemoved = [...ch.pools.remove];
      if (ch.volumes.upsert.size) d.volumes = rows(ch.volumes.upsert, (id) => c.volumeRow(id));
      if (ch.volumes.remove.size) d.volumesRemoved = [...ch.volumes.remove];
    }
    if (t.events && ch.events.length) d.events = ch.events;
    // Only the time: nothing this tab shows changed.
    if (Object.keys(d).length === 1) return null;
    return frame("delta", d);
  }

  private write(c: Client, text: string): void {
    if (c.res.writableLength > MAX_BACKLOG_BYTES) {
      this.clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }
}

function topicKey(t: Topics): string {
  return `${t.domains ? "D" : ""}${t.storage ? "S" : ""}${t.events ? "E" : ""}|${t.domain ?? ""}`;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
