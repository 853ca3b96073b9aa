// What the pages change, each a POST: a domain's lifecycle methods, and creating and deleting
// volumes. Each is one method call on the object's agent, as the broker user the web server
// logged in with; a refusal comes back with libvirt's message.
import type { Fleet, ManagedObject } from "../console/index.js";
import type { FleetCache } from "./cache.js";
import { HttpError } from "./errors.js";
import { type Router, readJson, sendJson, stringField } from "./http.js";

/** Methods that move a guest's memory may take long (as `lvq save`/`restore`/`migrate`). */
const LONG_CALL_MS = 600_000;

/** The domain actions: their method, and whether they take a file name. */
const DOMAIN_ACTIONS: Record<string, { method: string; file?: true; long?: true }> = {
  start: { method: "create" },
  shutdown: { method: "shutdown" },
  reboot: { method: "reboot" },
  destroy: { method: "destroy" },
  suspend: { method: "suspend" },
  resume: { method: "resume" },
  undefine: { method: "undefine" },
  save: { method: "save", file: true, long: true },
  restore: { method: "restore", file: true, long: true },
  migrate: { method: "migrate", long: true },
};

/** A volume name libvirt accepts in any pool type, without quoting surprises. */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;
const VOLUME_FORMATS = new Set(["raw", "qcow2"]);

/** Registers the state-changing API on `router`. */
export function registerActions(router: Router, fleet: Fleet, cache: FleetCache): void {
  const call = (
    target: ManagedObject<object>,
    method: string,
    args: Record<string, unknown>,
    long = false,
  ) => fleet.callMethod(target, method, args, long ? { timeoutMs: LONG_CALL_MS } : {});

  router.post("/api/domains/:id/actions/:action", async ({ req, res, params }) => {
    const action = DOMAIN_ACTIONS[params.action!];
    if (!action) throw new HttpError(404, `no action "${params.action}"`);
    const body = await readJson(req);
    const e = cache.domains.get(params.id!);
    if (!e?.domain) throw new HttpError(404, `no domain ${params.id}`);
    const args: Record<string, unknown> = {};
    if (action.file) {
      const filename = stringField(body, "filename");
      if (!filename.startsWith("/"))
        throw new HttpError(400, "the file name must be an absolute path on the host");
      args.filename = filename;
    }
    if (params.action === "migrate") {
      const dest = cache.hosts.get(stringField(body, "host"));
      if (!dest?.node) throw new HttpError(400, `no host ${String(body.host)} to migrate to`);
      if (dest.agent === e.agent) throw new HttpError(400, "the domain is already on that host");
      args.destination_node = dest.node.objectId;
    }
    const out = await call(e.domain, action.method, args, action.long === true);
    const ref = out.domain as { agentName?: string; objectName?: string } | undefined;
    sendJson(res, 200, {
      ok: true,
      action: params.action,
      ...(ref?.agentName ? { domain: `${ref.agentName}/${ref.objectName}` } : {}),
    });
  });

  router.post("/api/pools/:id/volumes", async ({ req, res, params }) => {
    const pool = cache.pools.get(params.id!);
    if (!pool) throw new HttpError(404, `no pool ${params.id}`);
    const body = await readJson(req);
    const name = stringField(body, "name");
    if (!VOLUME_NAME.test(name)) {
      throw new HttpError(
        400,
        "a volume name is letters, digits, '.', '_', '+' and '-' (not first)",
      );
    }
    const capacity = Number(body.capacity);
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new HttpError(400, "the capacity must be a positive number of bytes");
    }
    const format = typeof body.format === "string" ? body.format : "raw";
    if (!VOLUME_FORMATS.has(format))
      throw new HttpError(400, `unknown format "${format}" (raw or qcow2)`);
    const xml = `<volume><name>${name}</name><capacity unit='bytes'>${capacity}</capacity><target><format type='${format}'/></target></volume>`;
    const out = await call(pool, "create_volume_xml", { xml_desc: xml }, true);
    const ref = out.volume as { agentName?: string; objectName?: string } | undefined;
    sendJson(res, 200, {
      ok: true,
      ...(ref?.agentName ? { volume: `${ref.agentName}/${ref.objectName}` } : {}),
    });
  });

  router.post("/api/volumes/:id/delete", async ({ res, params }) => {
    const v = cache.volumes.get(params.id!);
    if (!v) throw new HttpError(404, `no volume ${params.id}`);
    await call(v, "delete", {}, true);
    sendJson(res, 200, { ok: true });
  });
}
