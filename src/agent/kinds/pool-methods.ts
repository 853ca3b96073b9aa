// The methods of Pool (schema/libvirt.xml), executed against libvirt.
import type { StoragePool, StorageVol } from "../../libvirt/index.js";
import { pathArg, textArg, xmlArg } from "../arguments.js";
import { badArgument } from "../errors.js";
import { act, describe, type HandlerContext, methodsOf, needs } from "../handlers.js";
import { poolKind } from "./pool.js";
import { volumeKind } from "./volume.js";

/** Publishes a volume a lookup found and returns its object id. */
async function volumeResult(ctx: HandlerContext, v: StorageVol) {
  await ctx.callLibvirt("virStorageVolGetInfo", () => ctx.mirror.readFound(volumeKind, v));
  return { volume: ctx.objectId("Volume", v.key) };
}

/** Volume lookups are host-wide in libvirt; on a Pool object the volume must be in that pool. */
function inPool(call: { methodName: string }, p: StoragePool, v: StorageVol, arg: string): void {
  if (v.pool !== p.name) {
    throw badArgument(
      call.methodName,
      arg,
      `names a volume of pool ${JSON.stringify(v.pool)}, not of this pool ${JSON.stringify(p.name)}`,
    );
  }
}

export const poolMethods = methodsOf("Pool", poolKind, {
  xml_desc: needs(
    "viewer",
    describe("virStoragePoolGetXMLDesc", (c, p) => c.storagePoolGetXmlDesc(p)),
  ),
  create: act(poolKind, "virStoragePoolCreate", (c, p) => c.storagePoolCreate(p)),
  destroy: act(poolKind, "virStoragePoolDestroy", (c, p) => c.storagePoolDestroy(p)),
  delete: act(poolKind, "virStoragePoolDelete", (c, p) => c.storagePoolDelete(p)),
  build: act(poolKind, "virStoragePoolBuild", (c, p) => c.storagePoolBuild(p)),
  refresh: act(poolKind, "virStoragePoolRefresh", (c, p) => c.storagePoolRefresh(p)),
  undefine: act(poolKind, "virStoragePoolUndefine", (c, p) => c.storagePoolUndefine(p)),
  create_volume_xml: {
    async run(call, ctx) {
      const p = call.target;
      const xml = xmlArg(call, "xml_desc");
      const v = await ctx.callLibvirt("virStorageVolCreateXML", (c) =>
        c.storageVolCreateXml(p, xml),
      );
      const out = await volumeResult(ctx, v);
      void ctx.mirror.refresh(poolKind, p.uuid); // its allocation changed
      return out;
    },
  },
  lookup_volume_by_name: {
    role: "viewer",
    async run(call, ctx) {
      const name = textArg(call, "volume_name", { allowEmpty: false });
      const v = await ctx.callLibvirt("virStorageVolLookupByName", (c) =>
        c.storageVolLookupByName(call.target, name),
      );
      return volumeResult(ctx, v);
    },
  },
  lookup_volume_by_key: {
    role: "viewer",
    async run(call, ctx) {
      const key = textArg(call, "volume_key", { allowEmpty: false });
      const v = await ctx.callLibvirt("virStorageVolLookupByKey", (c) =>
        c.storageVolLookupByKey(key),
      );
      inPool(call, call.target, v, "volume_key");
      return volumeResult(ctx, v);
    },
  },
  lookup_volume_by_path: {
    role: "viewer",
    async run(call, ctx) {
      const path = pathArg(call, "volume_path");
      const v = await ctx.callLibvirt("virStorageVolLookupByPath", (c) =>
        c.storageVolLookupByPath(path),
      );
      inPool(call, call.target, v, "volume_path");
      return volumeResult(ctx, v);
    },
  },
});
