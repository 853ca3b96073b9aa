// Runs the schema's methods: finds the handler of a call in the kinds' method tables
// (kinds/*-methods.ts), the libvirt object it is called on through its kind, and says who may
// call it (the role its row names). Arguments arrive already checked against the schema by the
// agent session; what the schema cannot say is checked by the handler before any libvirt
// call, so a refused call never changes libvirt state.
import type { ReconnectingLibvirt } from "../libvirt/index.js";
import { MethodError, QmfStatus } from "../qmf/errors.js";
import type { ConsoleSession, MethodCall, ObjectIdLike } from "../qmf/index.js";
import type { JobSlots } from "./concurrency.js";
import { libvirtCall, libvirtFailure, notConnected } from "./errors.js";
import type { Handler, HandlerContext, MethodTable } from "./handlers.js";
import { METHODS } from "./kinds/index.js";
import type { AgentLogger } from "./log.js";
import type { Mirror } from "./mirror.js";
import { objectName } from "./names.js";
import type { AccessPolicy, Role } from "./roles.js";

/** Each class.method with its handler and the table it is in. */
const HANDLERS = new Map<
  string,
  { table: MethodTable; handler: Handler<unknown, unknown, unknown> }
>();
for (const table of Object.values(METHODS) as MethodTable[]) {
  for (const [method, handler] of Object.entries(table.handlers)) {
    HANDLERS.set(`${table.className}.${method}`, { table, handler });
  }
}

/** Every class.method the agent implements (tests check it equals the schema's). */
export const IMPLEMENTED_METHODS: readonly string[] = [...HANDLERS.keys()];

/** The role each class.method needs: its handler row's, admin where the row names none. */
export const METHOD_ROLES: ReadonlyMap<string, Role> = new Map(
  [...HANDLERS].map(([method, { handler }]) => [method, handler.role ?? "admin"]),
);

/**
 * The authorisation rule of a method call: its caller must hold the role its handler row
 * names. Throws FORBIDDEN, e.g. "user bob lacks role admin for Domain.undefine".
 */
export function authorizeCall(
  policy: AccessPolicy,
  call: { userId?: string; className: string; methodName: string },
): void {
  const method = `${call.className}.${call.methodName}`;
  policy.require(call.userId, METHOD_ROLES.get(method) ?? "admin", method);
}

/** The authorisation rule of a query: its caller must be a viewer at least. */
export function authorizeQuery(policy: AccessPolicy, q: { userId?: string }): void {
  policy.require(q.userId, "viewer", "queries");
}

/** What {@link handlerContext} builds a context from. */
export interface HandlerContextParts {
  libvirt: ReconnectingLibvirt;
  mirror: Mirror;
  agentName: string;
  objectId(objectName: string): ObjectIdLike;
  console(): Promise<ConsoleSession>;
  /** Why libvirt is not connected (for the error text). */
  linkError(): string | undefined;
  log: AgentLogger;
}

/** The context every handler of one agent gets. */
export function handlerContext(p: HandlerContextParts): HandlerContext {
  return {
    mirror: p.mirror,
    agentName: p.agentName,
    objectId: (className, key) => p.objectId(objectName(className, key)),
    console: p.console,
    log: p.log,
    async callLibvirt(name, fn) {
      if (!p.libvirt.connected) throw notConnected(name, p.linkError());
      return libvirtCall(name, () => fn(p.libvirt.client));
    },
  };
}

/**
 * A slot for a long job (its handler row says `long`), or the error refusing it: the agent
 * runs `maxLongJobs` at a time and refuses one more rather than queue it behind them.
 */
function longJobSlot(jobs: JobSlots, method: string, objectName: string): () => void {
  const release = jobs.take(`${method} on ${objectName}`);
  if (release) return release;
  throw new MethodError(
    QmfStatus.EXCEPTION,
    `${method} refused: this agent runs at most ${jobs.limit} long jobs at a time (its maxLongJobs) and is running ${jobs.running().join(", ")}; try again when one has ended`,
  );
}

/** Executes one method request (the AgentSession's onMethod). */
export async function executeMethod(
  ctx: HandlerContext,
  call: MethodCall,
  longJobs: JobSlots,
): Promise<Record<string, unknown>> {
  const found = HANDLERS.get(`${call.className}.${call.methodName}`);
  if (!found) {
    throw new MethodError(
      QmfStatus.UNKNOWN_METHOD,
      `class ${call.className} has no method ${call.methodName}`,
    );
  }
  try {
    const kind = found.table.kind;
    const target = ctx.mirror.find(kind, call.objectName);
    if (!target)
      throw new MethodError(QmfStatus.UNKNOWN_OBJECT, `no ${kind.name} ${call.objectName}`);
    const method = `${call.className}.${call.methodName}`;
    const release = found.handler.long ? longJobSlot(longJobs, method, call.objectName) : null;
    try {
      return (await found.handler.run(
        {
          target: target.handle,
          args: call.args,
          className: call.className,
          methodName: call.methodName,
          objectName: call.objectName,
          userId: call.userId,
        },
        ctx,
      )) as Record<string, unknown>;
    } finally {
      release?.();
    }
  } catch (e) {
    // The audit line (audit.ts) tells the outcome.
    throw e instanceof MethodError ? e : libvirtFailure(`${call.className}.${call.methodName}`, e);
  }
}
