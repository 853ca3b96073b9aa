// The generated SDK (scripts/gen-sdk.ts writes its imports) still imports ObjectRef from this
// path; the values themselves live in field-values.ts. Delete this file once the generator
// imports "../field-values.js".
export type { ObjectRef } from "./field-values.js";
