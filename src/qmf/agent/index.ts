/**
 * QMFv2 agent session: publishes managed objects, answers locate/query/method requests.
 * See {@link AgentSession}.
 */
export { AgentSession } from "./session.js";
export type {
  AgentSessionEvents,
  AgentSessionOptions,
  AuthorizeContext,
  MethodCall,
  MethodOutcome,
  MethodStage,
  QueryAuthorizeContext,
} from "./types.js";
