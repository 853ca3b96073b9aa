// The domain verbs over a selection (`lvq suspend state=running --host h1`), through the real
// built binary against the real RabbitMQ and two real agents on private test-driver files.
// Every batch is scoped to our agents with --host: other helpers' agents share the broker.
// Domain states are checked through the SDK, as the agents publish them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { Domain, type Fleet } from "../../src/console/index.js";
import type { AgentHandle } from "../support/agent.js";
import { type AgentPair, startAgentPair } from "../support/agent-pair.js";
import { statesBecome as becomes, withStates } from "../support/domain-states.js";
import { testDriverNames } from "../support/testdriver.js";
import { buildOnce, lvq, lvqOnTty, stderrOf } from "./harness.js";

const tag = randomBytes(3).toString("hex");
// A: seven domains, the last one shut off in before(); B: two running.
const specA = { domains: 7, pools: 0, volumesPerPool: 0, namePrefix: `bat${tag}a-` };
const specB = { domains: 2, pools: 0, volumesPerPool: 0, namePrefix: `bat${tag}b-` };
const namesA = testDriverNames(specA).domains;
const namesB = testDriverNames(specB).domains;
const runningA = namesA.slice(0, 6);
const offA = namesA[6]!;
let pair: AgentPair;
let agentA: AgentHandle;
let agentB: AgentHandle;
let fleet: Fleet;

/** The states the tests start from. */
function initial(): Record<string, string> {
  const s: Record<string, string> = {};
  for (const d of [...runningA, ...namesB]) s[d.name] = "running";
  s[offA.name] = "shutoff";
  return s;
}

/** Our domains' states, by name. */
const ours = (): string[] => [agentA.name, agentB.name];
const statesBecome = (want: Record<string, string>) => becomes(fleet, ours(), want);
const ownStderr = (r: { stderr: string }) => stderrOf(r, ours());

/** The result lines lvq prints: `host/name` padded to the widest, two spaces, the outcome. */
function lines(rows: [host: string, name: string, outcome: string][]): string {
  const refs = rows.map(([h, n]) => `${h}/${n}`);
  const w = Math.max(...refs.map((r) => r.length));
  return rows.map(([, , o], i) => `${refs[i]!.padEnd(w)}  ${o}\n`).join("");
}

/** How lvq shows libvirt refusing to resume a domain that is not paused (test driver: 1). */
const notPaused = (d: { name: string }) =>
  `libvirt error 1: virDomainResume: internal error: domain '${d.name}' not paused`;

describe("lvq verbs over a selection", { timeout: 170_000 }, () => {
  before(async () => {
    [, pair] = await Promise.all([buildOnce(), startAgentPair(`bat-${tag}`, specA, specB)]);
    ({ agentA, agentB, fleet } = pair);
    await (await fleet.resolve(Domain, offA.uuid)).destroy();
  });
  after(() => pair?.stop());
  beforeEach(async () => {
    // Back to the initial states, whatever a test left.
    const want = initial();
    const all = await fleet.domains(undefined, { agents: ours() });
    await Promise.all(
      all.map(async (d) => {
        const state = (await d.domain_info).state;
        if (state === want[d.name]) return;
        if (state === "paused") await d.resume();
        if (want[d.name] === "running" && state !== "paused") await d.create();
        if (want[d.name] === "shutoff") await d.destroy();
      }),
    );
    await statesBecome(want);
  });

  test("suspend state=running --host A: exactly A's running domains are suspended, B's untouched", async () => {
    const r = await lvq(["suspend", "state=running", "--host", agentA.instance, "--yes"]);
    assert.equal(ownStderr(r), "");
    assert.equal(r.code, 0);
    assert.equal(r.stdout, lines(runningA.map((d) => [agentA.instance, d.name, "ok"])));
    await statesBecome(withStates(initial(), runningA, "paused"));
  });

  test("--json: one exact result per target, sorted by host then name", async () => {
    const where = JSON.stringify(["re_match", "name", ["quote", "dom-[0-9]$"]]);
    const r = await lvq([
      "--json",
      "suspend",
      "--where",
      where,
      "--host",
      agentB.instance,
      "--yes",
    ]);
    assert.equal(ownStderr(r), "");
    assert.equal(r.code, 0);
    assert.deepEqual(
      JSON.parse(r.stdout),
      namesB.map((d) => ({ host: agentB.instance, name: d.name, uuid: d.uuid, ok: true })),
    );
    await statesBecome(withStates(initial(), namesB, "paused"));
  });

  test("one failing target: its line has libvirt's error, the others are ok, exit 1", async () => {
    const paused = namesA.slice(0, 2);
    await Promise.all(paused.map(async (d) => (await fleet.resolve(Domain, d.uuid)).suspend()));
    await statesBecome(withStates(initial(), paused, "paused"));
    // Resume of every domain of A: the two paused ones resume; libvirt refuses the others.
    const r = await lvq(["resume", "--all", "--host", agentA.instance, "--yes", "--parallel", "3"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      lines(namesA.map((d, i) => [agentA.instance, d.name, i < 2 ? "ok" : notPaused(d)])),
    );
    assert.equal(ownStderr(r), "lvq: resume failed on 5 of 7 domains\n");
    await statesBecome(initial());
    // The same as JSON: libvirt's error number and message.
    const j = await lvq(["--json", "resume", `name=${namesA[3]!.name}`, "--host", agentA.instance]);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.stdout), [
      {
        host: agentA.instance,
        name: namesA[3]!.name,
        uuid: namesA[3]!.uuid,
        ok: false,
        error: {
          code: 1,
          message: `virDomainResume: internal error: domain '${namesA[3]!.name}' not paused`,
        },
      },
    ]);
    assert.equal(ownStderr(j), "lvq: resume failed on 1 of 1 domain\n");
  });

  test("no terminal and no --yes: more than one target exits 2 and nothing changes; one target needs no --yes", async () => {
    const r = await lvq(["suspend", "state=running", "--host", agentA.instance]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(
      ownStderr(r),
      "lvq: suspend selects 6 domains on 1 host: add --yes to act on them (stdin is not a terminal, so lvq cannot ask)\n",
    );
    const all = await lvq(["suspend", "--all"]);
    assert.equal(all.code, 2);
    assert.match(ownStderr(all), /^lvq: suspend selects \d+ domains on \d+ hosts: add --yes /);
    await statesBecome(initial());
    const one = await lvq(["suspend", `name=${namesB[1]!.name}`, "--host", agentB.instance]);
    assert.equal(ownStderr(one), "");
    assert.equal(one.code, 0);
    assert.equal(one.stdout, lines([[agentB.instance, namesB[1]!.name, "ok"]]));
    await statesBecome(withStates(initial(), [namesB[1]!], "paused"));
  });

  test("--all --yes: every domain of the host, whatever its state", async () => {
    const d = await lvq([
      "destroy",
      "--all",
      "--host",
      agentB.instance,
      "--yes",
      "--parallel",
      "1",
    ]);
    assert.equal(ownStderr(d), "");
    assert.equal(d.code, 0);
    assert.equal(d.stdout, lines(namesB.map((x) => [agentB.instance, x.name, "ok"])));
    await statesBecome(withStates(initial(), namesB, "shutoff"));
    const s = await lvq(["start", "--all", "--agent", agentB.instance, "-y"]);
    assert.equal(s.code, 0);
    assert.equal(s.stdout, lines(namesB.map((x) => [agentB.instance, x.name, "ok"])));
    await statesBecome(initial());
  });

  test("a selection that picks nothing exits 3 and says so; usage mistakes exit 2", async () => {
    const none = await lvq(["suspend", "state=paused", "--host", agentA.instance, "--yes"]);
    assert.equal(none.code, 3);
    assert.equal(none.stdout, "");
    assert.equal(
      ownStderr(none),
      `lvq: no domain matches state=paused --host ${agentA.instance}\n`,
    );
    // A name no domain has (unique to this run), over the whole fleet.
    const nosuch = JSON.stringify(["eq", "name", ["quote", `nosuch-${tag}`]]);
    const where = await lvq(["shutdown", "--where", nosuch, "--yes"]);
    assert.equal(where.code, 3);
    assert.equal(ownStderr(where), `lvq: no domain matches --where '${nosuch}'\n`);
    const usage: [string[], string][] = [
      [
        ["suspend"],
        "lvq: suspend: name a domain, or select domains with prop=value filters, --where or --all\n",
      ],
      [
        ["suspend", "--host", agentA.instance],
        `lvq: suspend: --host only narrows a selection: add prop=value filters, --where, or --all for every domain of ${agentA.instance}\n`,
      ],
      [
        ["suspend", namesA[0]!.name, "--host", agentA.instance],
        `lvq: suspend: "${namesA[0]!.name}" is not a property=value filter (a single domain is named alone, as host/name to pick its host)\n`,
      ],
      [
        ["suspend", "colour=blue", "--all"],
        'lvq: filter "colour=blue": Domain has no property "colour" (see `lvq schema Domain`)\n',
      ],
      [["suspend", "--where", "[not json"], "lvq: --where: not JSON"],
      [
        ["suspend", "--all", "--parallel", "0"],
        "error: option '--parallel <n>' argument '0' is invalid. expected a positive integer\n",
      ],
    ];
    for (const [args, err] of usage) {
      const r = await lvq(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.ok(r.stderr.startsWith(err), `${args.join(" ")}: ${r.stderr}`);
    }
    await statesBecome(initial());
  });

  test("one reference keeps its own output, even with --yes and --parallel", async () => {
    const d = namesA[0]!;
    const r = await lvq(["suspend", `${agentA.instance}/${d.name}`, "--yes", "--parallel", "4"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `Domain ${d.name} suspended on ${agentA.instance}\n`);
    const j = await lvq(["--json", "resume", d.uuid]);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.stdout), {
      object_id: `${agentA.name}/Domain:${d.uuid}`,
      host: agentA.instance,
      name: d.name,
      action: "resume",
    });
    await statesBecome(initial());
  });

  test("on a terminal: a y/N question naming the count and the first five, then a progress bar", async () => {
    // `script` runs lvq on a pseudo-terminal; what we write to it is what the person types.
    const asked = [
      "suspend 6 domains on 1 host:",
      ...runningA.slice(0, 5).map((d) => `  ${agentA.instance}/${d.name}`),
      "  … and 1 more",
      "Go ahead? [y/N] ",
    ].join("\n");
    const no = await lvqOnTty(["suspend", "state=running", "--host", agentA.instance], {}, "n\n");
    assert.equal(no.code, 1);
    assert.ok(no.text.startsWith(asked), no.text);
    assert.match(no.text, /\nlvq: suspend: not confirmed, nothing done\n$/);
    await statesBecome(initial());
    const yes = await lvqOnTty(["suspend", "state=running", "--host", agentA.instance], {}, "y\n");
    assert.equal(yes.code, 0, yes.text);
    assert.ok(yes.text.startsWith(asked), yes.text);
    // The bar's last state: all settled, no failure, the elapsed time.
    assert.match(yes.text, /✔ suspend █{10,30} 6\/6 {2}0 failed {2}\d+\.\d s\n/);
    assert.ok(
      yes.text.endsWith(lines(runningA.map((d) => [agentA.instance, d.name, "ok"]))),
      yes.text,
    );
    await statesBecome(withStates(initial(), runningA, "paused"));
    // A failure shows in the bar's count and its mark.
    const failed = await lvqOnTty(
      ["resume", `name=${offA.name}`, "--host", agentA.instance],
      {},
      "",
    );
    assert.equal(failed.code, 1);
    assert.match(failed.text, /✖ resume █{10,30} 1\/1 {2}1 failed {2}\d+\.\d s\n/);
  });
});
