import type { Observer } from "../../observe/observer.js";
import { decodeList, decodeMap, type QmfValue, wireText } from "../codec/index.js";
import {
  AgentLostError,
  MethodError,
  NotConnectedError,
  ProtocolError,
  QmfStatus,
  TimeoutError,
} from "../errors.js";
import {
  type BrokerLink,
  ContentType,
  DIRECT_EXCHANGE,
  type DropCounter,
  type InboundMessage,
  Opcode,
  type OutboundProps,
  RoutingKey,
  TOPIC_EXCHANGE,
} from "../transport/index.js";
import type { AgentUsers } from "./agent-users.js";
import { asMap, convertValues } from "./wire.js";

/** What a request asked: its answers are told apart by it. */
export type RequestKind = "method" | "query" | "locate";

/**
 * What the end of a request's time means: a failure ({@link TimeoutError}), or, for a locate,
 * the end of collecting answers (it resolves with those that came).
 */
export type OnTimeout = "fail" | "finish";

/** A request waiting for its answer. */
export interface PendingRequest {
  readonly kind: RequestKind;
  /** The agent it was sent to (undefined for a broadcast). */
  readonly agentName: string | undefined;
  /** Answers so far (query batches, locate responses). */
  readonly items: unknown[];
}

interface Entry extends PendingRequest {
  readonly items: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The console's requests, one bookkeeping for method calls, queries and locates: each is sent
 * with a correlation id and `reply_to` = the console, and has a timeout (also its TTL on the
 * broker) and the batches collected so far; it ends exactly once —
 * answered ({@link answer} matches responses to requests), timed out, or failed (connection
 * lost, agent aged out or restarted, an answer that cannot be read). The count in
 * flight is reported as the `qmf_requests_pending` gauge, and each request that ends in an
 * error other than the agent's own `_exception` as `qmf_requests_failed`.
 */
export class PendingRequests {
  private readonly entries = new Map<string, Entry>();
  private readonly headers = new Map<string, Record<string, unknown>>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly link: BrokerLink,
    /** Where answers go: the console's own address. */
    private readonly replyTo: string,
    private readonly drops: DropCounter,
    /** Who may answer for which agent. */
    private readonly users: AgentUsers,
    private readonly observer?: Observer,
  ) {}

  /** Requests in flight. */
  get size(): number {
    return this.entries.size;
  }

  /** The request waiting under `id`, if any. */
  get(id: string): PendingRequest | undefined {
    return this.entries.get(id);
  }

  /**
   * Sends a request (a map body) to one agent; the promise settles with its answer (a query:
   * every item of its batches). The fast path writes at once, without waiting on a promise.
   */
  request(
    kind: "method" | "query",
    agentName: string,
    body: Buffer,
    opcode: string,
    timeoutMs: number,
    what: string,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new NotConnectedError("console session is closed"));
    return this.start(kind, agentName, timeoutMs, what, (id) => {
      const props: OutboundProps = {
        opcode,
        contentType: ContentType.MAP,
        correlationId: id,
        replyTo: this.replyTo,
        method: "request",
        expirationMs: timeoutMs,
      };
      let headers = this.headers.get(opcode);
      if (!headers) {
        headers = this.link.headersFor(props);
        this.headers.set(opcode, headers);
      }
      props.headers = headers;
      if (this.link.tryPublish(DIRECT_EXCHANGE, agentName, body, props)) return undefined;
      return this.link.publish(DIRECT_EXCHANGE, agentName, body, props);
    });
  }

  /**
   * Sends one query to each agent of `targets` and collects their answers. A `fleet` query
   * answers for the agents that exist: one that ages out (and was announced with
   * agentRemoved) while we wait is no longer part of the fleet, and answers nothing.
   */
  queryEach(
    targets: readonly string[],
    body: Buffer,
    what: string,
    timeoutMs: number,
    fleet: boolean,
  ): Promise<{ agentName: string; items: QmfValue[] }[]> {
    return Promise.all(
      targets.map(async (agentName) => {
        try {
          const items = (await this.request(
            "query",
            agentName,
            body,
            Opcode.QUERY_REQUEST,
            timeoutMs,
            `query ${what} of ${agentName}`,
          )) as QmfValue[];
          return { agentName, items };
        } catch (e) {
          if (fleet && e instanceof AgentLostError) return { agentName, items: [] };
          throw e;
        }
      }),
    );
  }

  /** Broadcasts a locate request (a list body); resolves with every answer within `timeoutMs`. */
  locate(body: Buffer, timeoutMs: number): Promise<unknown[]> {
    const send = (id: string) =>
      this.link.publish(TOPIC_EXCHANGE, RoutingKey.LOCATE, body, {
        opcode: Opcode.AGENT_LOCATE_REQUEST,
        contentType: ContentType.LIST,
        correlationId: id,
        replyTo: this.replyTo,
        method: "request",
        expirationMs: timeoutMs,
      });
    return this.start("locate", undefined, timeoutMs, "locate", send, "finish") as Promise<
      unknown[]
    >;
  }

  /**
   * Registers a request under a new correlation id and sends it with `send(id)`; the promise
   * settles with its answer. A `send` that throws or rejects fails the request (nothing else
   * was sent, and nothing is retried).
   */
  private start(
    kind: RequestKind,
    agentName: string | undefined,
    timeoutMs: number,
    what: string,
    send: (id: string) => Promise<void> | undefined,
    onTimeout: OnTimeout = "fail",
  ): Promise<unknown> {
    const id = (this.nextId++).toString(36);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          onTimeout === "finish"
            ? this.settle(id, null, this.entries.get(id)?.items)
            : this.settle(id, new TimeoutError(what, timeoutMs)),
        timeoutMs,
      );
      this.entries.set(id, { kind, agentName, items: [], resolve, reject, timer });
      this.observer?.gauge?.("qmf_requests_pending", this.entries.size);
      const fail = (e: unknown) => this.settle(id, e as Error);
      try {
        send(id)?.catch(fail);
      } catch (e) {
        fail(e);
      }
    });
  }

  /** Adds answers to a request still waiting (a query batch, a locate response). */
  collect(id: string, items: readonly unknown[]): void {
    const e = this.entries.get(id);
    if (e) for (const item of items) e.items.push(item);
  }

  /** Ends a request: with `err`, or with `value`. No-op if it ended already. */
  settle(id: string, err: Error | null, value?: unknown): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.end(id, e);
    if (err) this.fail(e, err);
    else e.resolve(value);
  }

  /** Fails every request with `err`; later ones are refused with NotConnectedError. */
  close(err: Error): void {
    this.closed = true;
    this.failWhere(() => true, err);
  }

  /** Fails every request that `match` selects with `err`. */
  failWhere(match: (p: PendingRequest) => boolean, err: Error): void {
    for (const [id, e] of this.entries) {
      if (!match(e)) continue;
      this.end(id, e);
      this.fail(e, err);
    }
  }

  /**
   * Takes a `_method_response`, `_exception` or `_query_response`: settles the request it
   * answers (a query once its last batch is in). A response to no request of ours, or from
   * another agent than the one asked, is counted and dropped.
   */
  answer(m: InboundMessage): void {
    switch (m.opcode) {
      case Opcode.METHOD_RESPONSE: {
        const id = this.responseId(m, "method");
        if (id === undefined) return;
        const body = this.decodeResponse(id, m, decodeMap);
        if (body) this.settle(id, null, convertValues(asMap(body._arguments)));
        return;
      }
      case Opcode.EXCEPTION: {
        const id = this.responseId(m, undefined);
        if (id === undefined) return;
        const body = this.decodeResponse(id, m, decodeMap);
        if (!body) return;
        const { error_code, error_text, ...details } = asMap(body._values);
        const code =
          typeof error_code === "number" ? error_code : Number(error_code ?? QmfStatus.EXCEPTION);
        const text = wireText(error_text) ?? "unknown error";
        this.settle(id, new MethodError(code, text, convertValues(details)));
        return;
      }
      case Opcode.QUERY_RESPONSE: {
        const id = this.responseId(m, "query");
        if (id === undefined) return;
        const list = this.decodeResponse(id, m, decodeList);
        if (!list) return;
        this.collect(id, list);
        if (!m.partial) this.settle(id, null, this.entries.get(id)?.items);
        return;
      }
    }
  }

  /**
   * The correlation id of a response to one of our requests of that kind, sent by the agent
   * it was addressed to (as that agent's broker user); otherwise the response is counted and
   * dropped, and the request waits on for the real answer.
   */
  private responseId(m: InboundMessage, kind: RequestKind | undefined): string | undefined {
    const id = m.correlationId;
    const p = id === undefined ? undefined : this.entries.get(id);
    if (!p || (kind !== undefined && p.kind !== kind)) {
      this.drops.note("late or unknown response", `${m.opcode} correlation ${id}`);
      return undefined;
    }
    if (p.agentName !== undefined && m.agentName !== undefined && m.agentName !== p.agentName) {
      this.drops.note(
        "response from the wrong agent",
        `${m.agentName} answered ${p.agentName}'s ${id}`,
      );
      return undefined;
    }
    if (p.agentName !== undefined && !this.users.accepts(m, p.agentName, "response")) {
      return undefined;
    }
    return id;
  }

  /** Decodes a response body; a body that cannot be decoded fails its request at once. */
  private decodeResponse<T>(
    id: string,
    m: InboundMessage,
    decode: (b: Buffer) => T,
  ): T | undefined {
    if (m.contentType !== ContentType.MAP && m.contentType !== ContentType.LIST) {
      this.drops.note("wrong content type", `${m.opcode}: ${m.contentType}`);
      this.settle(
        id,
        new ProtocolError(
          `${m.opcode} from ${m.agentName} has content type ${JSON.stringify(m.contentType)}`,
        ),
      );
      return undefined;
    }
    try {
      return decode(m.body);
    } catch (e) {
      this.drops.note("malformed body", `${m.opcode}: ${(e as Error).message}`);
      this.settle(
        id,
        new ProtocolError(`malformed ${m.opcode} from ${m.agentName}: ${(e as Error).message}`, {
          cause: e,
        }),
      );
      return undefined;
    }
  }

  private end(id: string, e: Entry): void {
    this.entries.delete(id);
    clearTimeout(e.timer);
    this.observer?.gauge?.("qmf_requests_pending", this.entries.size);
  }

  private fail(e: Entry, err: Error): void {
    if (!(err instanceof MethodError)) this.observer?.count?.("qmf_requests_failed", 1);
    e.reject(err);
  }
}
