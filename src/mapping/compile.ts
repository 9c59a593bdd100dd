/**
 * The mapping engine shared by delimited imports and exports: a list of
 * field mappings from the config, checked and compiled once, then applied to
 * each record.
 *
 * Config comes from YAML, so every key is checked at run time even though
 * the types say what it should be: a mistake is reported with its key path
 * when the mapping is compiled, never as a surprise on row one million.
 *
 * @module
 */

import { MappingError, TransformError, quoteValue } from "./errors.ts";
import { compileChain, type Transform } from "./transforms.ts";

/** One entry of a feed's or an export's `fields` list. */
export interface FieldMapping {
  /** Source column (imports) or stored field (exports). */
  from?: string;
  /** Target field (imports) or column (exports). */
  to?: string;
  /** Source value → target value, matched exactly, then ignoring case and surrounding spaces. */
  codes?: Record<string, string>;
  /** The value for a code missing from `codes`; without it such a value is a row error. */
  default?: string;
  /** Transform steps joined with `|`, applied after `codes`. */
  transform?: string;
  /** Do Not Map: the field is documented in the config but not produced. */
  omit?: boolean;
  /** Imports: a blank source value keeps the stored value (default) or clears it. */
  blank?: "keep" | "clear";
}

/** The result of mapping one record. */
export interface MappedRecord {
  /** Target name → value; a target whose mapping failed is absent. */
  values: Record<string, string>;
  /** One message per failed field, naming the field, the value and the fix. */
  errors: string[];
  /** Targets of this record whose source was blank, whose result is blank, and whose mapping says `blank: keep`. */
  keepBlank?: string[];
}

export interface CompiledMapping {
  /** target column/field names in configured order (omitted ones excluded) */
  readonly targets: readonly string[];
  /** source names read (`from` names, then `concat:` placeholders), without duplicates */
  readonly sources: readonly string[];
  /** map one record; errors name the field, the value and what to do */
  apply(record: Record<string, string>): MappedRecord;
  /**
   * Map one record into `out` (target order) without making an object of it:
   * the export's hot loop. Returns the errors, or undefined when there are none.
   */
  applyInto(record: Record<string, string>, out: string[]): string[] | undefined;
  /** targets whose blank source value means "keep the stored value" (blank: keep, the default for imports) */
  readonly keepBlank: readonly string[];
  /**
   * Per target, in target order: its `from` name (undefined for const:/concat: alone), and
   * whether the value passes through unchanged (no codes, no transform; a blank value still
   * becomes ""). Lets the export copy such a value's bytes without making a string of it.
   */
  readonly columns: readonly { readonly from: string | undefined; readonly plain: boolean }[];
  /**
   * True when every target's value depends on its own source value alone (no concat:
   * reads other fields): then {@link mapOne} gives the same as {@link applyInto}, and a
   * caller may remember results per distinct value.
   */
  readonly valueOnly: boolean;
  /** Maps target `i`'s source value; on failure pushes the message applyInto would give and returns undefined. */
  mapOne(i: number, value: string, errors: string[]): string | undefined;
}

interface CompiledField {
  target: string;
  from: string | undefined;
  /** Name used in row errors: the source the value came from, else the target. */
  label: string;
  exact: Map<string, string> | undefined;
  folded: Map<string, string> | undefined;
  fallback: string | undefined;
  chain: Transform | undefined;
  /** The transform reads other fields of the record (concat:). */
  readsOthers: boolean;
  keep: boolean;
}

const KEYS = ["from", "to", "codes", "default", "transform", "omit", "blank"];

function text(entry: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = entry[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") {
    throw new MappingError(`${path}.${key}`, `must be non-empty text, got ${JSON.stringify(v)} (quote it in YAML)`);
  }
  return v;
}

function isBlank(v: string): boolean {
  const c = v.charCodeAt(0);
  return (c <= 32 || c === 160 || c === 0xfeff) && v.trim() === "";
}

function compileCodes(codes: unknown, path: string): [Map<string, string>, Map<string, string>] {
  if (typeof codes !== "object" || codes === null || Array.isArray(codes)) {
    throw new MappingError(path, "must be a mapping of source value to target value, like { M: male, F: female }");
  }
  const exact = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const [key, value] of Object.entries(codes)) {
    if (typeof value !== "string") {
      throw new MappingError(`${path}.${key}`, `must be text, got ${JSON.stringify(value)} (quote it in YAML)`);
    }
    exact.set(key, value);
    const fold = key.trim().toLowerCase();
    if (!folded.has(fold)) folded.set(fold, value);
  }
  return [exact, folded];
}

function compileField(raw: unknown, path: string, sources: string[]): CompiledField | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new MappingError(path, "must be a mapping like { from: Column, to: field }");
  }
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!KEYS.includes(key)) throw new MappingError(`${path}.${key}`, `unknown key; use ${KEYS.join(", ")}`);
  }
  const from = text(entry, "from", path);
  const to = text(entry, "to", path);
  const fallback = entry.default;
  if (fallback !== undefined && typeof fallback !== "string") {
    throw new MappingError(`${path}.default`, `must be text, got ${JSON.stringify(fallback)} (quote it in YAML)`);
  }
  const omit = entry.omit ?? false;
  if (typeof omit !== "boolean") throw new MappingError(`${path}.omit`, `must be true or false, got ${JSON.stringify(omit)}`);
  const blank = entry.blank ?? "keep";
  if (blank !== "keep" && blank !== "clear") {
    throw new MappingError(`${path}.blank`, `must be keep or clear, got ${JSON.stringify(blank)}`);
  }
  const codes = entry.codes === undefined ? undefined : compileCodes(entry.codes, `${path}.codes`);
  if (fallback !== undefined && !codes) {
    throw new MappingError(`${path}.default`, "applies only to values missing from codes; add codes or remove default");
  }
  const chain = entry.transform === undefined ? undefined : compileChain(entry.transform as string, `${path}.transform`);
  if (omit) return null;
  if (to === undefined) throw new MappingError(`${path}.to`, "missing; name the target field or column (or set omit: true)");
  if (from === undefined) {
    if (!chain?.ignoresInput) {
      throw new MappingError(`${path}.from`, "missing; name the source field or column, or start the transform with const: or concat:");
    }
    if (codes) throw new MappingError(`${path}.codes`, "needs a from value to look up; add from or remove codes");
  }
  for (const name of [from, ...(chain?.reads ?? [])]) {
    if (name !== undefined && !sources.includes(name)) sources.push(name);
  }
  return {
    target: to,
    from,
    label: from ?? to,
    exact: codes?.[0],
    folded: codes?.[1],
    fallback,
    chain: chain?.fn,
    readsOthers: (chain?.reads.length ?? 0) > 0,
    keep: from !== undefined && blank === "keep",
  };
}

/** Why a field has no value: allocated only on failure, so a clean row makes no garbage for it. */
class Failure {
  constructor(readonly message: string) {}
}

function sourceValue(f: CompiledField, record: Record<string, string>): string {
  return blankToEmpty(f.from === undefined ? "" : (record[f.from] ?? ""));
}

function blankToEmpty(v: string): string {
  return v !== "" && isBlank(v) ? "" : v;
}

/** One field's value: codes, then the transform chain. */
function mapValue(f: CompiledField, record: Record<string, string>): string | Failure {
  return mapSource(f, sourceValue(f, record), record);
}

const NO_RECORD: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** {@link mapValue} from the field's source value (already blank-checked); `record` serves concat: only. */
function mapSource(f: CompiledField, source: string, record: Record<string, string>): string | Failure {
  let v = source;
  if (v !== "" && f.exact) {
    const code = f.exact.get(v) ?? f.folded!.get(v.trim().toLowerCase()) ?? f.fallback;
    if (code === undefined) return new Failure(`${f.label}: value ${quoteValue(v)} has no code mapping; add it to codes or set default`);
    v = code;
  }
  if (f.chain) {
    try {
      v = f.chain(v, record);
    } catch (err) {
      if (!(err instanceof TransformError)) throw err;
      return new Failure(`${f.label}: ${err.message}`);
    }
  }
  return v;
}

function applyFields(fields: readonly CompiledField[], record: Record<string, string>): MappedRecord {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  let keepBlank: string[] | undefined;
  for (const f of fields) {
    const v = mapValue(f, record);
    if (v instanceof Failure) {
      errors.push(v.message);
      continue;
    }
    values[f.target] = v;
    // A value the transform made up from nothing (const:) is meant to be written, so only a blank result keeps.
    if (f.keep && v === "" && sourceValue(f, record) === "") (keepBlank ??= []).push(f.target);
  }
  return keepBlank ? { values, errors, keepBlank } : { values, errors };
}

function applyInto(fields: readonly CompiledField[], record: Record<string, string>, out: string[]): string[] | undefined {
  let errors: string[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const v = mapValue(fields[i]!, record);
    if (v instanceof Failure) (errors ??= []).push(v.message);
    else out[i] = v;
  }
  return errors;
}

/**
 * Checks and compiles a `fields` list. Throws {@link MappingError} naming the
 * key path under `context` for a bad entry: unknown key or transform, bad
 * transform arguments, codes not a mapping, missing from/to, a target mapped
 * twice.
 *
 * @example
 * const m = compileMapping(
 *   [{ from: "Student Number", to: "sourcedId" }, { from: "Gender", to: "sex", codes: { M: "male", F: "female" } }],
 *   "tenants[0].feeds[1].fields",
 * );
 * m.apply({ "Student Number": "42", Gender: "f" }); // { values: { sourcedId: "42", sex: "female" }, errors: [] }
 */
export function compileMapping(fields: FieldMapping[], context: string): CompiledMapping {
  if (!Array.isArray(fields)) throw new MappingError(context, "must be a list of field mappings like { from: Column, to: field }");
  const compiled: CompiledField[] = [];
  const sources: string[] = [];
  const targetPaths = new Map<string, string>();
  fields.forEach((raw, i) => {
    const path = `${context}[${i}]`;
    const field = compileField(raw, path, sources);
    if (!field) return;
    const earlier = targetPaths.get(field.target);
    if (earlier !== undefined) {
      throw new MappingError(`${path}.to`, `${quoteValue(field.target)} is already mapped by ${earlier}; map each target once`);
    }
    targetPaths.set(field.target, path);
    compiled.push(field);
  });
  const frozen = Object.freeze(compiled);
  return {
    targets: Object.freeze(compiled.map((f) => f.target)),
    sources: Object.freeze(sources),
    keepBlank: Object.freeze(compiled.filter((f) => f.keep).map((f) => f.target)),
    apply: (record) => applyFields(frozen, record),
    applyInto: (record, out) => applyInto(frozen, record, out),
    columns: Object.freeze(compiled.map((f) => Object.freeze({ from: f.from, plain: f.exact === undefined && f.chain === undefined }))),
    valueOnly: compiled.every((f) => !f.readsOthers),
    mapOne: (i, value, errors) => {
      const f = frozen[i]!;
      // Valid for a field that reads nothing else (valueOnly): its transform never looks at the record.
      const v = mapSource(f, f.from === undefined ? "" : blankToEmpty(value), NO_RECORD);
      if (v instanceof Failure) {
        errors.push(v.message);
        return undefined;
      }
      return v;
    },
  };
}
