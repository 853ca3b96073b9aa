/**
 * QMFv2 agent session: publishes managed objects, answers locate/query/method requests.
 * See {@link AgentSession}.
 */
export type {
  AgentSessionEvents,
  AgentSessionOptions,
  AuthorizeContext,
  MethodCall,
} from "./session.js";
export { AgentSession } from "./session.js";
