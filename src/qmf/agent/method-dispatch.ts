import type { Observer } from "../../observe/observer.js";
import { encodeMap, type QmfMap, wireText } from "../codec/index.js";
import { MethodError, QmfStatus } from "../errors.js";
import { checkArgument, fromWire } from "../schema/wire-values.js";
import { Content, Opcode, objectIdFromWire } from "../transport/envelope.js";
import type { InboundMessage } from "../transport/link.js";
import { DedupeTable, FORGOTTEN, type RecordedResponse } from "./dedupe.js";
import type { ObjectTable } from "./object-table.js";
import type { TokenBuckets } from "./rate-limit.js";
import { exceptionBody, type Replier } from "./replies.js";
import type { MethodInfo } from "./schema-index.js";
import { typedValues } from "./typed-values.js";
import type { AgentSessionOptions, MethodCall, MethodOutcome, MethodStage } from "./types.js";

/** The response of a method without output arguments: always the same bytes. */
const NO_OUTPUT = encodeMap({ _arguments: {} });

/** What a request has shown of itself so far (for its outcome). */
type Seen = Omit<MethodOutcome, "stage" | "ms" | "output" | "error">;

/**
 * An agent's method requests: each is checked against the schema (object, method, every
 * argument's name and type) and authorised before its handler runs, and runs at most once
 * per request id — a duplicate gets the first run's response, even while that still runs.
 * Every outcome is a reply: output arguments, or an `_exception`; each request's outcome is
 * also told to `onMethodOutcome` (the audit trail). Reported to the observer:
 * `qmf_methods_executed` (handlers started), `qmf_methods_deduplicated` (duplicates answered
 * from the table) and `qmf_methods_refused` (refused before a handler ran).
 */
export class MethodDispatch {
  /** Handlers started so far. */
  executed = 0;
  private readonly dedupe: DedupeTable;
  private readonly observer: Observer | undefined;

  constructor(
    private readonly agentName: string,
    private readonly objects: ObjectTable,
    private readonly replier: Replier,
    private readonly opts: Pick<
      AgentSessionOptions,
      "dedupe" | "authorize" | "onMethod" | "onMethodOutcome" | "observer" | "log"
    >,
    private readonly limiter?: TokenBuckets,
  ) {
    this.dedupe = new DedupeTable(
      opts.dedupe?.maxEntries ?? 10_000,
      opts.dedupe?.ttlMs ?? 600_000,
      opts.dedupe?.maxBytes ?? 32 * 1024 * 1024,
    );
    this.observer = opts.observer;
  }

  /** Handles one `_method_request`; the promise (if any) ends when its reply is sent. */
  handle(m: InboundMessage): Promise<void> | undefined {
    if (!this.replier.canReply(m, "method request")) return;
    // Before anything is decoded or remembered: a flood costs little, and a refused request
    // may be sent again under the same id.
    if (this.limiter && !this.limiter.take(m.userId ?? "")) {
      const err = new MethodError(QmfStatus.EXCEPTION, this.limiter.refusal(m.userId));
      this.observer?.count?.("qmf_methods_refused", 1);
      this.tell({ userId: m.userId, correlationId: m.correlationId }, "limit", 0, undefined, err);
      return this.replier.exception(m, err.code, err.text);
    }
    const req = this.replier.decodeBody(m, "map") as QmfMap | undefined;
    if (!req) return;
    // At-most-once: the key binds the id to its caller, so two consoles cannot collide.
    const key =
      m.correlationId === undefined
        ? undefined
        : `${m.userId ?? ""}\u0000${m.replyTo}\u0000${m.correlationId}`;
    if (key !== undefined) {
      const seen = this.dedupe.begin(key, Date.now());
      if (seen !== "new") this.observer?.count?.("qmf_methods_deduplicated", 1);
      if (seen === "running") return;
      if (seen === FORGOTTEN) {
        return this.replier.recorded(m, {
          opcode: Opcode.EXCEPTION,
          content: Content.DATA,
          body: exceptionBody(
            QmfStatus.EXCEPTION,
            `request ${m.correlationId} was already executed; its response is no longer kept`,
          ),
        });
      }
      if (seen !== "new") return this.replier.recorded(m, seen);
    }
    return this.run(m, req).then((response) => {
      let extra = 0;
      if (key !== undefined) extra = this.dedupe.finish(key, response, Date.now());
      if (extra === 0) return this.replier.recorded(m, response);
      return (async () => {
        for (let i = 0; i <= extra; i++) await this.replier.recorded(m, response);
      })();
    });
  }

  /** Tells `onMethodOutcome` of a request refused (PARAMETER_INVALID) before its body was read. */
  refusedUnread(m: InboundMessage, text: string): void {
    const err = new MethodError(QmfStatus.PARAMETER_INVALID, text);
    this.tell({ userId: m.userId, correlationId: m.correlationId }, "check", 0, undefined, err);
  }

  /** Tells `onMethodOutcome`; a failure there is logged, never changes the answer. */
  private tell(
    seen: Seen,
    stage: MethodStage,
    ms: number,
    output: Record<string, unknown> | undefined,
    error: MethodError | undefined,
  ): void {
    if (!this.opts.onMethodOutcome) return;
    try {
      this.opts.onMethodOutcome({ ...seen, stage, ms, output, error });
    } catch (e) {
      this.opts.log?.error(`[qmf agent ${this.agentName}] onMethodOutcome failed`, e);
    }
  }

  /** Validates, authorises and runs one request; never throws: failures become `_exception`. */
  private async run(m: InboundMessage, req: QmfMap): Promise<RecordedResponse> {
    const t0 = performance.now();
    const seen: Seen = { userId: m.userId, correlationId: m.correlationId };
    let stage: MethodStage = "check";
    try {
      let call: MethodCall;
      let method: MethodInfo;
      try {
        [call, method] = this.validate(m, req, seen);
        stage = "authorize";
        await this.authorize(call);
      } catch (e) {
        this.observer?.count?.("qmf_methods_refused", 1);
        throw e;
      }
      stage = "run";
      this.executed++;
      // `request` lets a test or an audit tell executions apart (a metric should not use it
      // as a label: it is new with every call).
      this.observer?.count?.("qmf_methods_executed", 1, {
        method: `${call.className}.${call.methodName}`,
        request: call.correlationId ?? "",
      });
      const out = await this.opts.onMethod(call);
      const body = encodeOut(call, method, out);
      this.tell(seen, stage, performance.now() - t0, out ?? {}, undefined);
      return { opcode: Opcode.METHOD_RESPONSE, content: undefined, body };
    } catch (e) {
      const err =
        e instanceof MethodError
          ? e
          : new MethodError(QmfStatus.EXCEPTION, (e as Error)?.message ?? String(e));
      this.tell(seen, stage, performance.now() - t0, undefined, err);
      return {
        opcode: Opcode.EXCEPTION,
        content: Content.DATA,
        body: exceptionBody(err.code, err.text, err.details),
      };
    }
  }

  private async authorize(call: MethodCall): Promise<void> {
    if (!this.opts.authorize) return;
    try {
      await this.opts.authorize({
        userId: call.userId,
        objectId: call.objectId,
        className: call.className,
        methodName: call.methodName,
      });
    } catch (e) {
      if (e instanceof MethodError) throw e;
      throw new MethodError(
        QmfStatus.FORBIDDEN,
        `user ${call.userId ?? "(unknown)"} may not call ${call.className}.${call.methodName}: ${
          (e as Error).message
        }`,
      );
    }
  }

  /**
   * The call a request makes, its arguments checked and converted; MethodError if bad. What
   * it learns on the way goes into `seen`, so a refusal can say what was asked.
   */
  private validate(m: InboundMessage, req: QmfMap, seen: Seen): [MethodCall, MethodInfo] {
    const methodName = wireText(req._method_name);
    const id = objectIdFromWire(req._object_id);
    const given = req._arguments ?? {};
    const isMap = typeof given === "object" && !Array.isArray(given) && !Buffer.isBuffer(given);
    seen.methodName = methodName;
    seen.objectName = id?.objectName;
    if (isMap) seen.args = given as Record<string, unknown>;
    if (methodName === undefined) {
      throw new MethodError(QmfStatus.PARAMETER_INVALID, "method request without _method_name");
    }
    if (!id) {
      throw new MethodError(
        QmfStatus.UNKNOWN_OBJECT,
        `method ${methodName}: no _object_id (this agent has no agent-level methods)`,
      );
    }
    const obj = id.agentName === this.agentName ? this.objects.get(id.objectName) : undefined;
    if (!obj) throw new MethodError(QmfStatus.UNKNOWN_OBJECT, `no object ${id.objectName}`);
    const info = obj.info;
    seen.className = info.cls.name;
    const method = info.methods.get(methodName);
    if (!method) {
      throw new MethodError(
        QmfStatus.UNKNOWN_METHOD,
        `class ${info.cls.name} has no method ${methodName}`,
      );
    }
    if (!isMap) {
      throw new MethodError(QmfStatus.PARAMETER_INVALID, `${methodName}: _arguments is not a map`);
    }
    const args: Record<string, unknown> = {};
    const g = given as Record<string, unknown>;
    for (const k of Object.keys(g)) {
      if (!method.inArgs.has(k)) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: unexpected argument ${k}${method.outArgs.has(k) ? " (an output argument)" : ""}`,
        );
      }
    }
    for (const [name, arg] of method.inArgs) {
      const v = g[name];
      // An optional argument left out, or sent as void (how a JS undefined or a Python None
      // travels), is absent for the handler; a required one is refused.
      if (arg.optional === true && (v === undefined || v === null)) continue;
      if (v === undefined) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: missing argument ${name}`,
        );
      }
      const why = checkArgument(arg, v);
      if (why !== null) {
        throw new MethodError(
          QmfStatus.PARAMETER_INVALID,
          `${methodName}: argument ${name} ${why}`,
        );
      }
      const converted = fromWire(arg.type, v);
      args[name] = arg.type === "objId" ? (objectIdFromWire(converted) ?? converted) : converted;
    }
    seen.args = args;
    const call: MethodCall = {
      objectId: obj.id,
      className: info.cls.name,
      objectName: obj.name,
      methodName,
      args,
      userId: m.userId,
      correlationId: m.correlationId,
    };
    return [call, method];
  }
}

/** The `_method_response` body of a handler's output; MethodError for output the schema has not. */
function encodeOut(
  call: MethodCall,
  method: MethodInfo,
  out: Record<string, unknown> | undefined,
): Buffer {
  if (out === undefined || isEmpty(out)) return NO_OUTPUT;
  const wire = typedValues(
    out,
    method.outArgs,
    (k, e) =>
      new MethodError(
        QmfStatus.EXCEPTION,
        e
          ? `${call.methodName} returned a bad ${k}: ${e.message}`
          : `${call.methodName} returned ${k}, which is not an output argument`,
      ),
  );
  return encodeMap({ _arguments: wire });
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
