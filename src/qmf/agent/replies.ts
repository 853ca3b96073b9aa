import {
  decodeList,
  decodeMap,
  type Encoded,
  encodeList,
  encodeMap,
  type QmfMap,
  type QmfValue,
} from "../codec/index.js";
import { QmfError, QmfStatus } from "../errors.js";
import { Content, ContentType, Opcode, parseReplyTo } from "../transport/envelope.js";
import type { BrokerLink, InboundMessage, OutboundProps } from "../transport/link.js";
import type { DropCounter } from "../transport/log.js";
import type { RecordedResponse } from "./dedupe.js";

/** The `_exception` body: `{_values: {error_code, error_text, …details}}`. */
export function exceptionBody(
  status: number,
  text: string,
  details: Record<string, unknown> = {},
): Buffer {
  const values: QmfMap = {};
  for (const [k, v] of Object.entries(details)) values[k] = v as QmfValue;
  values.error_code = status;
  values.error_text = text;
  return encodeMap({ _values: values });
}

/**
 * How an agent answers a request: reads its body, replies to its `reply_to` (in batches for
 * a query), refuses it with an `_exception`, or sends a method's recorded response. A reply
 * that cannot be sent is counted in `drops` (the console's timeout tells its caller).
 */
export class Replier {
  /** Header tables of method responses by opcode (their content header follows the opcode). */
  private readonly responseHeaders = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly link: BrokerLink,
    private readonly agentName: string,
    private readonly batchSize: number,
    private readonly drops: DropCounter,
  ) {}

  /** Does the request name a usable reply address? If not, it is counted as dropped. */
  canReply(m: InboundMessage, what: string): boolean {
    if (parseReplyTo(m.replyTo)) return true;
    this.drops.note("no reply address", `${what} without a usable reply_to`);
    return false;
  }

  /** Counts and logs a bad request; answers `_exception` when it names a reply address. */
  refuse(
    m: InboundMessage,
    reason: string,
    detail: string,
    status: number = QmfStatus.PARAMETER_INVALID,
  ): void {
    this.drops.note(reason, detail);
    void this.exception(m, status, `${reason}: ${detail}`);
  }

  /** The request's body as the map or list it must be; refused (and undefined) otherwise. */
  decodeBody(m: InboundMessage, want: "map" | "list"): QmfMap | QmfValue[] | undefined {
    const wantType = want === "map" ? ContentType.MAP : ContentType.LIST;
    if (m.contentType !== wantType) {
      this.refuse(
        m,
        "wrong content type",
        `${m.opcode} needs ${wantType}, got ${JSON.stringify(m.contentType)}`,
      );
      return undefined;
    }
    try {
      return want === "map" ? decodeMap(m.body) : decodeList(m.body);
    } catch (e) {
      this.refuse(m, "malformed body", `${m.opcode}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Answers a query in batches of `batchSize`, every one but the last marked `partial`. */
  batches<T>(
    m: InboundMessage,
    content: string,
    items: readonly T[],
    toMap: (t: T) => QmfMap | Encoded,
  ): Promise<void> {
    const bodies: Buffer[] = [];
    if (items.length === 0) bodies.push(encodeList([]));
    for (let i = 0; i < items.length; i += this.batchSize) {
      bodies.push(encodeList(items.slice(i, i + this.batchSize).map(toMap)));
    }
    return this.reply(m, Opcode.QUERY_RESPONSE, ContentType.LIST, content, bodies);
  }

  /** Sends `bodies` in order to the request's reply address. */
  async reply(
    m: InboundMessage,
    opcode: string,
    contentType: string,
    content: string | undefined,
    bodies: readonly Buffer[],
  ): Promise<void> {
    const to = parseReplyTo(m.replyTo);
    if (!to) return;
    try {
      for (let i = 0; i < bodies.length; i++) {
        await this.link.publish(to.exchange, to.routingKey, bodies[i]!, {
          opcode,
          contentType,
          correlationId: m.correlationId,
          agentName: this.agentName,
          content,
          method: "response",
          partial: i < bodies.length - 1,
        });
      }
    } catch (e) {
      await this.failed(m, opcode, e);
    }
  }

  /** Answers `_exception` with a QMF status and text. */
  exception(m: InboundMessage, status: number, text: string): Promise<void> {
    const to = parseReplyTo(m.replyTo);
    if (!to) return Promise.resolve();
    return this.link
      .publish(to.exchange, to.routingKey, exceptionBody(status, text), {
        opcode: Opcode.EXCEPTION,
        contentType: ContentType.MAP,
        correlationId: m.correlationId,
        agentName: this.agentName,
        content: Content.DATA,
        method: "response",
      })
      .catch((e) => this.drops.note("reply lost", `_exception: ${(e as Error).message}`));
  }

  /** Sends a method's recorded response; synchronous when the link can take it. */
  recorded(m: InboundMessage, r: RecordedResponse): Promise<void> | undefined {
    const to = parseReplyTo(m.replyTo);
    if (!to) return;
    const props: OutboundProps = {
      opcode: r.opcode,
      contentType: ContentType.MAP,
      correlationId: m.correlationId,
      agentName: this.agentName,
      content: r.content,
      method: "response",
    };
    let headers = this.responseHeaders.get(r.opcode);
    if (!headers) {
      headers = this.link.headersFor(props);
      this.responseHeaders.set(r.opcode, headers);
    }
    props.headers = headers;
    try {
      if (this.link.tryPublish(to.exchange, to.routingKey, r.body, props)) return;
    } catch (e) {
      return this.failed(m, r.opcode, e);
    }
    return this.link
      .publish(to.exchange, to.routingKey, r.body, props)
      .catch((e) => this.failed(m, r.opcode, e));
  }

  /** A response that could not be sent: too large becomes an `_exception`, else it is counted. */
  private async failed(m: InboundMessage, opcode: string, e: unknown): Promise<void> {
    if (e instanceof QmfError && e.code === "BODY_TOO_LARGE") {
      await this.exception(m, QmfStatus.EXCEPTION, `response too large: ${e.message}`);
      return;
    }
    this.drops.note("reply lost", `${opcode}: ${(e as Error).message}`);
  }
}
