import { type DropCounter, type InboundMessage, keyNamesAgent } from "../transport/index.js";

/** What a console takes from an agent, for the check of who sent it. */
export type AgentMessageKind = "heartbeat" | "locate response" | "indication" | "response";

interface Learnt {
  user: string;
  /** From a heartbeat (its routing key is pinned by the broker), not only a locate answer. */
  confirmed: boolean;
}

/**
 * Who may speak for an agent. RabbitMQ checks every message's `user_id` against the sender's
 * login, so the user of a message is a fact; what a console must know is which user is the
 * agent's. It is given (`agentUsers`), or learnt from the agent's first heartbeat — a topic
 * message whose routing key ends with the agent's name, which broker topic permissions pin to
 * the agent's own user (scripts/broker-users.sh) — or, until a heartbeat comes, from its first
 * locate answer. After that a heartbeat, data indication, event or response of the agent sent
 * by another user, or on a routing key naming another agent, is dropped and counted (logged at
 * most once per 10 s per reason through the {@link DropCounter}). A forgotten agent (aged out)
 * is learnt afresh when it comes back.
 */
export class AgentUsers {
  private readonly fixed: ReadonlyMap<string, string>;
  private readonly learnt = new Map<string, Learnt>();

  constructor(
    agentUsers: Readonly<Record<string, string>> | undefined,
    private readonly drops: DropCounter,
  ) {
    this.fixed = new Map(Object.entries(agentUsers ?? {}));
  }

  /** The user agent `name` sends as, if known. */
  userOf(name: string): string | undefined {
    return this.fixed.get(name) ?? this.learnt.get(name)?.user;
  }

  /**
   * Whether to take `m`, which claims to come from agent `name` (a heartbeat's or locate
   * answer's `_name`, an indication's `qmf.agent`, the agent a response answers for). A
   * refusal is counted with its reason.
   */
  accepts(m: InboundMessage, name: string, kind: AgentMessageKind): boolean {
    if (m.agentName !== undefined && m.agentName !== name) {
      return this.refuse("agent name mismatch", `${kind} of ${name} says qmf.agent ${m.agentName}`);
    }
    if ((kind === "heartbeat" || kind === "indication") && !keyNamesAgent(m.routingKey, name)) {
      return this.refuse(
        "routing key of another agent",
        `${kind} of ${name} on routing key ${m.routingKey}`,
      );
    }
    const user = m.userId ?? "";
    const fixed = this.fixed.get(name);
    const learnt = this.learnt.get(name);
    // A heartbeat outranks a locate answer: any agent user sees the console's locate request
    // and could answer it first under another agent's name; only the agent's own user may
    // send heartbeats on the agent's routing key.
    const expected =
      fixed ?? (learnt && (learnt.confirmed || kind !== "heartbeat") ? learnt.user : undefined);
    if (expected === undefined || expected === user) return true;
    return this.refuse(
      "wrong broker user",
      `${kind} of ${name} sent by user ${JSON.stringify(user)}; the agent's user is ${JSON.stringify(expected)}`,
    );
  }

  /** Notes the user of agent `name` after an accepted heartbeat or locate answer. */
  learn(name: string, user: string | undefined, kind: "heartbeat" | "locate response"): void {
    if (this.fixed.has(name)) return;
    const learnt = this.learnt.get(name);
    if (learnt?.confirmed) return;
    if (learnt && learnt.user !== (user ?? "") && kind === "heartbeat") {
      this.drops.note(
        "wrong broker user",
        `agent ${name} answered a locate as user ${JSON.stringify(learnt.user)} but heartbeats as ${JSON.stringify(user ?? "")}: its heartbeat wins`,
      );
    }
    if (!learnt || kind === "heartbeat") {
      this.learnt.set(name, { user: user ?? "", confirmed: kind === "heartbeat" });
    }
  }

  /** Forgets a learnt user (the agent aged out). */
  forget(name: string): void {
    this.learnt.delete(name);
  }

  /** Forgets every learnt user (the console closed). */
  clear(): void {
    this.learnt.clear();
  }

  private refuse(reason: string, detail: string): false {
    this.drops.note(reason, detail);
    return false;
  }
}
