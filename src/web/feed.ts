// The Events page's feed: lifecycle events, agents joining, leaving and restarting, and the
// broker link going and coming back, newest last, in a bounded ring.

/** What an entry of the feed is about. */
export type FeedKind = "domain" | "pool" | "agent" | "broker";

/** One entry of the feed, as the browser gets it. */
export interface FeedEvent {
  /** Increasing number, unique for this server's lifetime. */
  seq: number;
  /** When it happened (ms since the epoch): the agent's timestamp when it has one. */
  t: number;
  kind: FeedKind;
  /** "started", "suspended", "joined", "left", "lost", … */
  event: string;
  /** libvirt's detail ("booted", "destroyed", …) or why (an error message). */
  detail: string;
  host: string;
  agent: string;
  /** The domain's or pool's name; empty for agents and the broker. */
  name: string;
  /** The domain's or pool's id, for a link. */
  objectId: string;
  /** 0 (emergency) … 7 (debug), as syslog. */
  severity: number;
}

/** The newest `capacity` feed events. */
export class Feed {
  private readonly items: FeedEvent[] = [];
  private seq = 0;

  constructor(private readonly capacity = 2000) {}

  add(e: Omit<FeedEvent, "seq">): FeedEvent {
    const item = { ...e, seq: ++this.seq };
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    return item;
  }

  all(): FeedEvent[] {
    return [...this.items];
  }
}
