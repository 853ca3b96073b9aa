/** An agent's name is unique on the broker: a second agent with the same name is refused. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgentSession, ConsoleSession, NameInUseError, type Schema } from "../../src/qmf/index.js";
import { BROKER } from "../support/broker.js";
import { uniqueName } from "../support/names.js";
import { loadWidgets } from "./fixtures/helpers.js";

describe("agent names are unique on the broker", () => {
  let schema: Schema;
  const opened: { close(): Promise<void> }[] = [];
  before(async () => {
    schema = await loadWidgets();
  });
  after(async () => {
    for (const s of opened) await s.close();
  });

  function agent(instance: string, calls: string[]): AgentSession {
    return new AgentSession({
      url: BROKER,
      vendor: "lvqtest",
      product: "names",
      instance,
      schemas: [schema],
      heartbeatIntervalMs: 1000,
      onMethod: async (call) => {
        calls.push(call.methodName);
        return {};
      },
    });
  }

  it("refuses the second agent with NameInUseError; requests reach only the first, once; the name is free again after close", async () => {
    const instance = uniqueName("dup");
    const firstCalls: string[] = [];
    const secondCalls: string[] = [];
    const first = agent(instance, firstCalls);
    await first.open();
    opened.push(first);

    const second = agent(instance, secondCalls);
    await assert.rejects(second.open(), (e: unknown) => {
      assert.ok(e instanceof NameInUseError, `got ${String(e)}`);
      assert.equal(
        (e as NameInUseError).message,
        `queue "qmf-agent.lvqtest:names:${instance}" is held by another connection to the broker`,
      );
      return true;
    });

    const console_ = new ConsoleSession({ url: BROKER });
    await console_.open();
    opened.push(console_);
    await console_.waitForAgent(first.name, 5000);
    first.setObject("Widget", "w1", { name: "w1" });
    const [w] = await console_.query({ agentName: first.name, className: "Widget" });
    assert.ok(w);
    await console_.callMethod(w.objectId, "noop", {});
    assert.deepEqual(firstCalls, ["noop"]);
    assert.deepEqual(secondCalls, []);

    await first.close();
    const third = agent(instance, secondCalls);
    await third.open();
    opened.push(third);
    assert.equal(third.name, first.name);
  });
});
