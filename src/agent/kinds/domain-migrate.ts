// Domain.migrate: peer-to-peer live migration to another host, returning the domain as the
// destination's agent publishes it (found through QMF: a Node object or the agents' libvirt_uri
// attribute).
import { type Domain, MigrateFlags, type TypedParam, TypedParamType } from "../../libvirt/index.js";
import { MethodError, QmfStatus } from "../../qmf/errors.js";
import type { ConsoleSession, ObjectId, QmfObject } from "../../qmf/index.js";
import { withoutPasswords } from "../../util/redact.js";
import { intArg, textArg } from "../arguments.js";
import { isLibvirtUri } from "../config.js";
import { badArgument } from "../errors.js";
import type { DomainMigrateArgs, DomainMigrateResult } from "../generated/methods.js";
import type { HandlerCall, HandlerContext } from "../handlers.js";
import { keyOf, objectName, PACKAGE } from "../names.js";
import { domainKind } from "./domain.js";

/** How long migrate waits for the destination agent to publish the domain. */
const DESTINATION_WAIT_MS = 30_000;
/** How long migrate (given only a uri) listens for agents answering a locate. */
const LOCATE_MS = 1500;

const MIGRATE_KNOWN_FLAGS = (1 << 30) - 1;

/**
 * Migrates the domain peer-to-peer and returns it as the destination's agent publishes it.
 * Everything that can be refused (arguments, a destination no agent publishes) is refused
 * before libvirt moves anything.
 */
export async function migrate(
  call: HandlerCall<DomainMigrateArgs, Domain>,
  ctx: HandlerContext,
): Promise<DomainMigrateResult> {
  const d = call.target;
  const flags = intArg(call, "flags", 0, 0);
  const newName = textArg(call, "new_domain_name", { allowEmpty: true, absent: "" });
  const uriArg = textArg(call, "uri", { allowEmpty: true, absent: "" }).trim();
  const bandwidth = intArg(call, "bandwidth", 0, 0);
  const dest = call.args.destination_node;
  if (!dest && uriArg === "") {
    throw new MethodError(
      QmfStatus.PARAMETER_INVALID,
      `${call.methodName}: arguments uri and destination_node are both missing; give the destination's libvirt URI (uri) or its Node object (destination_node)`,
    );
  }
  if ((flags & ~MIGRATE_KNOWN_FLAGS) !== 0) {
    throw badArgument(call.methodName, "flags", `has unknown bits: ${flags}`);
  }
  if (uriArg !== "" && !isLibvirtUri(uriArg)) {
    throw badArgument(
      call.methodName,
      "uri",
      `is not a libvirt URI such as qemu+tcp://host/system: ${JSON.stringify(uriArg)}`,
    );
  }
  if (dest?.agentName === ctx.agentName) {
    throw badArgument(
      call.methodName,
      "destination_node",
      "is this host; a migration needs another one",
    );
  }
  if (dest && keyOf("Node", dest.objectName) === undefined) {
    throw badArgument(
      call.methodName,
      "destination_node",
      `must be a Node object, got ${dest.objectName}`,
    );
  }
  const console = await ctx.console();
  // The destination's libvirt URI: the argument, else the destination Node's `uri` property.
  const destUri = uriArg !== "" ? uriArg : await nodeUri(call, console, dest as ObjectId);
  // The agents that will publish the domain there: the destination Node's, else every agent
  // (but this one) whose libvirt_uri is that URI. Found before migrating: a migration whose
  // result nobody can return is refused while nothing has changed.
  const destAgents = dest
    ? [dest.agentName]
    : await agentsOf(call, console, ctx.agentName, destUri);

  const params: TypedParam[] = [];
  if (newName !== "")
    params.push({
      field: "destination_name",
      type: TypedParamType.STRING,
      value: newName,
    } as TypedParam);
  if (bandwidth > 0)
    params.push({
      field: "bandwidth",
      type: TypedParamType.ULLONG,
      value: BigInt(bandwidth),
    } as TypedParam);
  const wireFlags = (flags === 0 ? MigrateFlags.LIVE : flags) | MigrateFlags.PEER2PEER;
  ctx.log.info("migrating", {
    domain: d.name,
    uuid: d.uuid,
    to: withoutPasswords(destUri),
    flags: wireFlags,
  });
  await ctx.callLibvirt("virDomainMigrateToURI3", (c) =>
    c.domainMigratePerform3Params(d, destUri, params, wireFlags),
  );
  void ctx.mirror.refresh(domainKind, d.uuid);

  // The domain as the destination's agent publishes it (it learns from its own events): its
  // data indication wakes the wait at once; a query each second covers an indication missed
  // (sent before this console listened, or lost with a broker hiccup).
  const objName = objectName("Domain", d.uuid);
  const deadline = Date.now() + DESTINATION_WAIT_MS;
  let published = false; // an indication came since the last query began
  let wake: () => void = () => {};
  const onChanged = (o: QmfObject) => {
    if (o.objectId.objectName !== objName || !destAgents.includes(o.agentName)) return;
    published = true;
    wake();
  };
  console.on("objectChanged", onChanged);
  try {
    while (Date.now() < deadline) {
      published = false;
      for (const agentName of destAgents) {
        const objs = await console
          .query({
            agentName,
            packageName: PACKAGE,
            className: "Domain",
            objectId: { agentName, objectName: objName },
            timeoutMs: 5000,
          })
          .catch(() => []);
        if (objs[0]) return { domain: objs[0].objectId };
      }
      if (published) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    console.off("objectChanged", onChanged);
  }
  throw new MethodError(
    QmfStatus.EXCEPTION,
    `migrate: libvirt moved ${d.name} to ${destUri}, but ${destAgents.length === 1 ? `agent ${destAgents[0]}` : `none of the agents ${destAgents.join(", ")}`} published ${objName} within ${DESTINATION_WAIT_MS / 1000} s`,
  );
}

/** The `uri` property of a Node object, read through QMF. */
async function nodeUri(
  call: { methodName: string },
  console: ConsoleSession,
  node: ObjectId,
): Promise<string> {
  const found = await console
    .query({
      agentName: node.agentName,
      packageName: PACKAGE,
      className: "Node",
      objectId: node,
      timeoutMs: 10_000,
    })
    .catch((e: Error) => {
      throw badArgument(
        call.methodName,
        "destination_node",
        `could not be read through QMF: ${e.message}`,
      );
    });
  const uri = found[0]?.values.uri;
  if (typeof uri !== "string" || uri === "") {
    throw badArgument(
      call.methodName,
      "destination_node",
      `${node.agentName}/${node.objectName} is not a Node any agent publishes`,
    );
  }
  return uri;
}

/** The agents (other than `self`) that publish the libvirt host `uri`. */
async function agentsOf(
  call: { methodName: string },
  console: ConsoleSession,
  self: string,
  uri: string,
): Promise<string[]> {
  const found = await console.locate(["eq", "libvirt_uri", ["quote", uri]], LOCATE_MS);
  const names = found.map((a) => a.name);
  if (names.includes(self) && names.length === 1) {
    throw badArgument(call.methodName, "uri", "is this host; a migration needs another one");
  }
  const others = names.filter((n) => n !== self).sort();
  if (others.length === 0) {
    throw badArgument(
      call.methodName,
      "uri",
      `names a host no agent publishes (no agent has libvirt_uri ${JSON.stringify(uri)}), so the migrated domain could not be returned; give destination_node`,
    );
  }
  return others;
}
