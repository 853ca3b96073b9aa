// The live view of the fleet a page shows: a snapshot, then deltas, over one Server-Sent
// Events stream. The browser's EventSource reconnects by itself; each new connection starts
// with a fresh snapshot, so nothing is lost while it was away.

/**
 * Follows the server. `topics`: { domains, domain, storage, events }. `onChange(what)` is
 * called after each message with the set of what changed ("hosts", "domains", "storage",
 * "events", "broker", "link", "snapshot").
 */
export class Live {
  constructor(topics, onChange) {
    this.hosts = new Map();
    this.domains = new Map();
    this.pools = new Map();
    this.volumes = new Map();
    this.events = [];
    this.broker = { up: true, since: Date.now(), error: "" };
    /** Server clock minus this browser's, to show ages right. */
    this.offset = 0;
    /** True while the stream to the web server is open and a snapshot arrived. */
    this.linked = false;
    this.ready = false;
    this.onChange = onChange;
    const q = new URLSearchParams();
    const list = ["domains", "storage", "events"].filter((t) => topics[t]);
    if (list.length) q.set("topics", list.join(","));
    if (topics.domain) q.set("domain", topics.domain);
    this.source = new EventSource(`/api/stream?${q}`);
    this.source.addEventListener("snapshot", (e) => this.snapshot(JSON.parse(e.data)));
    this.source.addEventListener("delta", (e) => this.delta(JSON.parse(e.data)));
    this.source.addEventListener("error", () => {
      if (this.source.readyState === EventSource.CLOSED) {
        // A refusal (e.g. logged out): EventSource gives up; check why, and try again later.
        fetch("/api/whoami").then(
          (r) => {
            if (r.status === 401)
              location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
          },
          () => {},
        );
      }
      if (!this.linked) return;
      this.linked = false;
      this.emit(new Set(["link"]));
    });
  }

  /** The server's "now" in this browser's clock terms. */
  now() {
    return Date.now() + this.offset;
  }

  close() {
    this.source.close();
  }

  emit(what) {
    try {
      this.onChange(what);
    } catch (err) {
      console.error(err);
    }
  }

  snapshot(s) {
    this.offset = s.now - Date.now();
    this.broker = s.broker;
    this.hosts = new Map(s.hosts.map((x) => [x.agent, x]));
    this.domains = new Map((s.domains ?? []).map((x) => [x.id, x]));
    if (s.pools) this.pools = new Map(s.pools.map((x) => [x.id, x]));
    if (s.volumes) this.volumes = new Map(s.volumes.map((x) => [x.id, x]));
    if (s.events) this.events = s.events;
    this.linked = true;
    this.ready = true;
    this.emit(new Set(["snapshot", "hosts", "domains", "storage", "events", "broker", "link"]));
  }

  delta(d) {
    this.offset = d.now - Date.now();
    const what = new Set();
    if (d.broker) {
      this.broker = d.broker;
      what.add("broker");
    }
    if (d.hosts) {
      this.hosts = new Map(d.hosts.map((x) => [x.agent, x]));
      what.add("hosts");
    }
    what.changedDomains = [];
    if (d.domains) {
      for (const r of d.domains) this.domains.set(r.id, r);
      what.changedDomains = d.domains.map((r) => r.id);
      what.add("domains");
    }
    if (d.domainsRemoved) {
      for (const id of d.domainsRemoved) this.domains.delete(id);
      what.add("domains");
      what.add("removed");
    }
    for (const [key, map] of [
      ["pools", this.pools],
      ["volumes", this.volumes],
    ]) {
      if (d[key]) for (const r of d[key]) map.set(r.id, r);
      if (d[`${key}Removed`]) for (const id of d[`${key}Removed`]) map.delete(id);
      if (d[key] || d[`${key}Removed`]) what.add("storage");
    }
    if (d.events) {
      this.events.push(...d.events);
      if (this.events.length > 2000) this.events.splice(0, this.events.length - 2000);
      what.add("events");
      what.newEvents = d.events;
    }
    if (!this.linked) {
      this.linked = true;
      what.add("link");
    }
    this.emit(what);
  }
}

/** Calls `fn` at most once per animation frame, with the union of what was asked for. */
export function frameBatch(fn) {
  let pending = null;
  return (what) => {
    if (pending) {
      for (const w of what) pending.add(w);
      // A hidden tab gets no frames: past a bound, "every row" is the cheaper message.
      if (what.changedDomains && pending.changedDomains.length < 20000) {
        pending.changedDomains.push(...what.changedDomains);
      }
      if (what.newEvents) pending.newEvents.push(...what.newEvents);
      return;
    }
    pending = new Set(what);
    pending.changedDomains = what.changedDomains ? [...what.changedDomains] : [];
    pending.newEvents = what.newEvents ? [...what.newEvents] : [];
    requestAnimationFrame(() => {
      const w = pending;
      pending = null;
      fn(w);
    });
  };
}
