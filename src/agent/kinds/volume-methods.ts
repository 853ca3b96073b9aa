// The methods of Volume (schema/libvirt.xml), executed against libvirt.
import { describe, methodsOf, needs } from "../handlers.js";
import { poolKind } from "./pool.js";
import { volumeKind } from "./volume.js";

export const volumeMethods = methodsOf("Volume", volumeKind, {
  xml_desc: needs(
    "viewer",
    describe("virStorageVolGetXMLDesc", (c, v) => c.storageVolGetXmlDesc(v)),
  ),
  delete: {
    async run(call, ctx) {
      const v = call.target;
      await ctx.callLibvirt("virStorageVolDelete", (c) => c.storageVolDelete(v));
      ctx.mirror.remove(volumeKind, v.key);
      // The pool's allocation changed.
      const poolKey = ctx.mirror.parentKey(volumeKind, v);
      if (poolKey) void ctx.mirror.refresh(poolKind, poolKey);
      return {};
    },
  },
});
