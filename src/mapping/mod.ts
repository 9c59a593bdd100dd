/**
 * The mapping engine: config `fields` lists turned into fast per-record
 * mappers, shared by delimited imports and exports. Pure: no I/O.
 *
 * @module
 */

export { compileMapping, type CompiledMapping, type FieldMapping, type MappedRecord } from "./compile.ts";
export { MappingError, TransformError } from "./errors.ts";
export { parseTransform, type Transform } from "./transforms.ts";
export { parseDate, type CalendarDate } from "./dates.ts";
