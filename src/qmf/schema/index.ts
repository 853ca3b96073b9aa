/**
 * Schemas: the schema XML language (as qpid's qmf-gen read it), the QMFv2 schema maps and class hash, and the type
 * layer that turns JS values into exactly-typed wire values and back. Pure apart from
 * {@link loadSchemaFile} and {@link loadSchemaJsonFile} reading a file.
 *
 * **The language** (`schema/libvirt.xml`, `test/qmf/fixtures/widgets.xml`):
 * ```xml
 * <schema package="org.example">                   <!-- one package per file -->
 *   <class name="Widget" desc="…">
 *     <property name="name" type="sstr" access="RC" index="y" desc="…" unit="…"/>
 *     <property name="shelf" type="objId" references="Shelf"/>   <!-- also: reference= -->
 *     <statistic name="polls" type="uint64" unit="…" desc="…"/>   <!-- a read-only property -->
 *     <method name="resize" desc="…">
 *       <arg name="size" type="uint32" dir="IO" desc="…" unit="…"/>
 *       <arg name="force" type="bool" optional="y"/>   <!-- may be left out of a request -->
 *     </method>
 *   </class>
 *   <event name="moved" severity="notice" desc="…"><arg name="to" type="sstr"/></event>
 * </schema>
 * ```
 * Types: uint8 uint16 uint32 uint64 int8 int16 int32 int64 bool float double sstr (≤ 255
 * bytes) lstr (≤ {@link LSTR_MAX_BYTES}) absTime (int64 ns) deltaTime (uint64 ns) objId uuid
 * map list; the older spelling `ObjID` is read as objId. `access` RO (default) | RC | RW;
 * `dir` I (default) | O | IO; `optional` y/n (default n; input arguments of methods only:
 * refused on an output or event argument) marks an argument a request may omit; `index` y/n (also yes/no/true/false/1/0); `severity` 0–7 or a
 * syslog name (emergency … notice … debug, also emerg/crit/err/warn/inform). Names are
 * letters, digits and `_`; the package may be dotted. `references` names a class of the same
 * file and is only allowed on objId.
 *
 * **JSON form** ({@link schemaToJson}, {@link schemaFromJson}): the parsed definitions as plain
 * data, loaded without an XML parser (the XML parser is loaded only when XML is parsed).
 *
 * **Errors**: {@link SchemaError} with `fileName`, `line`, `column` (1-based, pointing at the
 * element or attribute at fault) and a `code`: MALFORMED_XML, UNKNOWN_ELEMENT,
 * MISPLACED_ELEMENT, UNKNOWN_ATTRIBUTE, MISSING_ATTRIBUTE, BAD_NAME, UNKNOWN_TYPE, BAD_ACCESS,
 * BAD_DIR, BAD_VALUE, DUPLICATE_NAME (classes and events share one namespace; properties and
 * statistics another; methods and each argument list their own), UNKNOWN_REFERENCE,
 * UNEXPECTED_TEXT.
 *
 * **Values** ({@link toWire}, {@link fromWire}, {@link checkArgument}): the JS form of each
 * type is number (≤ 32-bit integers, float, double), bigint (int64, uint64, absTime,
 * deltaTime; a safe-integer number is accepted too), boolean, string (sstr, lstr; a Buffer of
 * UTF-8 is accepted since long text arrives as vbin32), {@link Uuid} (or its text), the
 * object-id map `{_agent_name, _object_name, _agent_epoch?}` for objId (an ObjectId-like
 * `{agentName, objectName, agentEpoch?}` is accepted), a plain object for map, an array for
 * list.
 *
 * @module
 */
export { isSchemaError, SchemaError, type SchemaErrorCode } from "./errors.js";
export {
  type ClassJson,
  type EventJson,
  loadSchemaJsonFile,
  type SchemaJson,
  schemaFromJson,
  schemaToJson,
} from "./json.js";
export { parseSchemaMap, schemaHash, schemaIdMap, schemaMap } from "./maps.js";
export {
  type Access,
  type Direction,
  QMF_TYPES,
  type QmfType,
  type Schema,
  type SchemaArg,
  type SchemaClass,
  type SchemaEvent,
  type SchemaMethod,
  type SchemaProperty,
  SEVERITIES,
} from "./model.js";
export { loadSchemaFile, parseSchema } from "./parse.js";
export {
  checkArgument,
  checkValue,
  fromWire,
  LSTR_MAX_BYTES,
  type ObjectIdMap,
  SSTR_MAX_BYTES,
  toWire,
} from "./wire-values.js";
