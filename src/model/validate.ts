/**
 * Field rules of the canonical model, compiled once per entity and applied
 * to every row: required fields, enums, dates, booleans, id-safe sourcedIds,
 * lists. References to other records are the importer's business (they need
 * the package and the store); this module only says which fields hold them.
 *
 * @module
 */
import { ENTITIES, type EntityName, type FieldSpec, isEntityName } from "./entities.ts";

/** A reference a row makes: `field` holds `id`, which must exist in `entity`. */
export interface RowRef {
  field: string;
  entity: EntityName;
  id: string;
}

export interface RowCheck {
  /** Problems that reject the row; each names the field and the value. */
  errors: string[];
  /** Problems that keep the row but are worth telling (a value normalised, say). */
  warnings: string[];
}

/** The checks for one entity, compiled once, run per row. */
export interface RowValidator {
  /**
   * Checks and normalises `fields` in place (booleans lower-cased, enums in
   * their canonical case) and lists the references the row makes.
   */
  check(fields: Record<string, string>, check: RowCheck, refs: RowRef[]): void;
}

/** Characters a sourcedId may hold (`[0-9A-Za-z.\-_/@]`), by char code. */
const ID_CHARS = new Uint8Array(128);
for (const c of "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_/@") ID_CHARS[c.charCodeAt(0)] = 1;

/**
 * Whether `id` is 1–255 id-safe characters. Runs for every id of every row
 * (four an enrollment), so a table lookup per character rather than the regex
 * it replaces, which was ≈0.9 s of a 200k-student import's profile.
 */
export function isIdSafe(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 255) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || ID_CHARS[c] === 0) return false;
  }
  return true;
}
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const YEAR = /^\d{4}$/;
const GRADES = new Set(["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS", "UG", "Other"]);

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Digit at `i` as a number, or NaN. Runs for every date of every row: no regex, no allocation. */
function digit(value: string, i: number): number {
  const c = value.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

function isCalendarDate(value: string): boolean {
  return value.length === 10 && isCalendarDateAt(value);
}

/** Whether `value` starts with a real calendar day as YYYY-MM-DD (the rest is the caller's). */
function isCalendarDateAt(value: string): boolean {
  if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const year = digit(value, 0) * 1000 + digit(value, 1) * 100 + digit(value, 2) * 10 + digit(value, 3);
  const month = digit(value, 5) * 10 + digit(value, 6);
  const day = digit(value, 8) * 10 + digit(value, 9);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= DAYS[month - 1]!)) return false;
  return month !== 2 || day < 29 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
}

/**
 * Whether `value` is an ISO 8601 date-time on a real calendar day.
 * `Date.parse` alone is not enough: it rolls 2026-02-30 over into March.
 */
function isDateTime(value: string): boolean {
  return DATETIME.test(value) && isCalendarDateAt(value) && !Number.isNaN(Date.parse(value));
}

/** Splits a OneRoster list field (`"09,10"`) into trimmed, non-empty items. */
export function splitList(value: string): string[] {
  if (value === "") return [];
  const out: string[] = [];
  for (const item of value.split(",")) {
    const t = item.trim();
    if (t !== "") out.push(t);
  }
  return out;
}

/** Checks one field's value (read by the caller); writes back only a normalised spelling. */
type FieldCheck = (value: string | undefined, fields: Record<string, string>, check: RowCheck, refs: RowRef[]) => void;

function compileField(spec: FieldSpec): FieldCheck {
  const name = spec.name;
  const bad = (check: RowCheck, value: string, rule: string) =>
    check.errors.push(`${name}: "${clip(value)}" ${rule}`);
  const required = spec.required === true;
  let checkValue: (value: string, fields: Record<string, string>, check: RowCheck, refs: RowRef[]) => void;
  switch (spec.type) {
    case "text":
      checkValue = () => {};
      break;
    case "id":
      checkValue = (value, _f, check, refs) => {
        const ids = spec.many ? splitList(value) : [value];
        for (const id of ids) {
          if (!isIdSafe(id)) bad(check, id, "is not a valid id (1–255 characters of letters, digits, . - _ / @)");
          else if (spec.ref) refs.push({ field: name, entity: spec.ref, id });
        }
      };
      break;
    case "date":
      checkValue = (value, _f, check) => {
        if (!isCalendarDate(value)) bad(check, value, "is not a date as YYYY-MM-DD");
      };
      break;
    case "datetime":
      checkValue = (value, _f, check) => {
        if (!isDateTime(value)) bad(check, value, "is not an ISO 8601 date-time (2026-05-01T18:25:43.511Z)");
      };
      break;
    case "year":
      checkValue = (value, _f, check) => {
        if (!YEAR.test(value)) bad(check, value, "is not a 4-digit year");
      };
      break;
    case "boolean":
      checkValue = (value, fields, check) => {
        if (value === "true" || value === "false") return;
        const lower = value.toLowerCase();
        if (lower === "true" || lower === "false") fields[name] = lower;
        else bad(check, value, "is not true or false");
      };
      break;
    case "enum": {
      const byLower = new Map(spec.values!.map((v) => [v.toLowerCase(), v]));
      const list = spec.values!.join(", ");
      const exact = new Set(spec.values);
      checkValue = (value, fields, check) => {
        if (exact.has(value)) return;
        const canonical = byLower.get(value.toLowerCase());
        if (canonical === undefined) bad(check, value, `is not one of: ${list}`);
        else fields[name] = canonical;
      };
      break;
    }
    case "grades":
      checkValue = (value, _f, check) => {
        for (const g of splitList(value)) {
          if (!GRADES.has(g)) {
            // Excel turns "09" into "9": say so rather than only rejecting it.
            const hint = /^\d$/.test(g) ? ` (did a spreadsheet drop the leading zero? use 0${g})` : "";
            check.warnings.push(`grades: "${clip(g)}" is not a CEDS grade code${hint}`);
          }
        }
      };
      break;
    case "list":
      checkValue = () => {};
      break;
  }
  return (value, fields, check, refs) => {
    if (value === undefined || value === "") {
      if (required && value !== undefined) check.errors.push(`${name}: required but empty`);
      return;
    }
    checkValue(value, fields, check, refs);
  };
}

/** Shows at most 60 characters of a value in a message. */
export function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/**
 * Reads an entity's fields with one compiled function of literal property
 * loads: a shared closure reading `fields[name]` for every name made every
 * load megamorphic, the validator's main cost per row. Names enter the code
 * only as JSON string literals.
 */
function valueReader(names: readonly string[]): (fields: Record<string, string>) => (string | undefined)[] {
  return new Function("f", `return [${names.map((n) => `f[${JSON.stringify(n)}]`).join(", ")}];`) as (fields: Record<string, string>) => (string | undefined)[];
}

const cache = new Map<string, RowValidator>();

/**
 * The check every row's sourcedId gets: there, and GUID-safe. `required`
 * ends an empty one's message (a delete row is checked for this alone).
 *
 * @example checkSourcedId("", check, "; a delete must name the record it deletes")
 */
export function checkSourcedId(id: string, check: RowCheck, required = ""): void {
  if (id === "") check.errors.push(`sourcedId: required but empty${required}`);
  else if (!isIdSafe(id)) check.errors.push(`sourcedId: "${clip(id)}" is not a valid id (1–255 characters of letters, digits, . - _ / @)`);
}

/**
 * The validator for an entity; an extension entity (a vendor file) gets one
 * that checks only the sourcedId.
 *
 * @example
 * const v = validatorFor("users");
 * const check = { errors: [], warnings: [] }, refs = [];
 * v.check({ sourcedId: "u1", enabledUser: "TRUE", username: "a", givenName: "A", familyName: "B" }, check, refs);
 * // check.errors = [], fields.enabledUser normalised to "true"
 */
export function validatorFor(entity: string): RowValidator {
  let v = cache.get(entity);
  if (v) return v;
  const specs = isEntityName(entity) ? ENTITIES[entity].fields : [];
  const checks = specs.map(compileField);
  const read = valueReader(specs.map((f) => f.name));
  v = {
    check(fields, check, refs) {
      checkSourcedId(fields.sourcedId ?? "", check);
      const status = fields.status;
      if (status !== undefined && status !== "") {
        const lower = status.toLowerCase();
        if (lower === "active" || lower === "tobedeleted") fields.status = lower;
        else check.errors.push(`status: "${clip(status)}" is not active or tobedeleted`);
      }
      const modified = fields.dateLastModified;
      if (modified !== undefined && modified !== "" && !isDateTime(modified)) {
        check.errors.push(`dateLastModified: "${clip(modified)}" is not an ISO 8601 date-time`);
      }
      const values = read(fields);
      for (let i = 0; i < checks.length; i++) checks[i]!(values[i], fields, check, refs);
    },
  };
  cache.set(entity, v);
  return v;
}

/** Visits one reference of a row; false stops the visit. */
export type RefVisitor = (entity: EntityName, id: string, field: string) => boolean;

/** Reads one field of a row by name: its fields object, or a reader that cuts fields from the row's text. */
export type FieldReader = (name: string) => string | undefined;

const refCache = new Map<string, (read: FieldReader, visit: RefVisitor) => boolean>();

/**
 * The references a row makes, without checking its values: for a row known
 * to be one that passed {@link validatorFor}'s checks before (the importer's
 * fingerprints), whose references must still be there. Visits each, and
 * stops at the first the visitor refuses (returning false). Only the
 * reference fields are read.
 *
 * @example
 * refsOf("enrollments")((name) => fields[name], (entity, id) => known(entity, id)); // classSourcedId, schoolSourcedId, userSourcedId
 */
export function refsOf(entity: string): (read: FieldReader, visit: RefVisitor) => boolean {
  let visitAll = refCache.get(entity);
  if (visitAll) return visitAll;
  const specs = (isEntityName(entity) ? ENTITIES[entity].fields : []).filter((f) => f.ref !== undefined);
  visitAll = (read, visit) => {
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const value = read(spec.name);
      if (value === undefined || value === "") continue;
      if (!spec.many) {
        if (!visit(spec.ref!, value, spec.name)) return false;
      } else for (const id of splitList(value)) if (!visit(spec.ref!, id, spec.name)) return false;
    }
    return true;
  };
  refCache.set(entity, visitAll);
  return visitAll;
}
