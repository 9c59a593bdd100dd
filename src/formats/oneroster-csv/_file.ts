/**
 * One data file of a bundle: its header matched to canonical field names
 * (any order, any case, known aliases), then its rows.
 *
 * @module
 */
import { COMMON_FIELDS, ENTITIES, isEntityName } from "../../model/entities.ts";
import { decodePieces } from "../csv/decode.ts";
import { digestSeed, seededDigest, type DigestSeed } from "../digest.ts";
import { readCsv, type PassOverCut } from "../csv/mod.ts";
import { FileError, type FileMode, type PassOver, type PassOverFor, type SourceEvent, type SourceIssue, type SourcePassed } from "../types.ts";

interface Header {
  /** Canonical name of each column. */
  names: string[];
  /** Builds a row's fields object from its values. */
  build: (values: string[]) => Record<string, string>;
  /** Index of the column holding the key. */
  keyColumn: number;
  /** Column index by canonical name. */
  columnOf: Map<string, number>;
  warnings: string[];
  /** Seeds the rows' digests: another header, other digests. */
  seed: DigestSeed;
}

function matchHeader(file: string, entity: string, columns: string[]): Header {
  const known = new Map<string, string>();
  const spec = isEntityName(entity) ? ENTITIES[entity] : undefined;
  for (const name of COMMON_FIELDS) known.set(name.toLowerCase(), name);
  for (const f of spec?.fields ?? []) known.set(f.name.toLowerCase(), f.name);
  const aliases = spec?.aliases ?? {};
  const names: string[] = [];
  const unknown: string[] = [];
  const aliased: string[] = [];
  const renamed: string[] = [];
  // Names given to blank or repeated columns must not take one a later column has.
  const given = new Set(columns.map((c) => c.trim()));
  for (const raw of columns) {
    const column = raw.trim();
    const lower = column.toLowerCase();
    let name = known.get(lower);
    if (!name && aliases[lower]) {
      name = aliases[lower];
      aliased.push(`${column} read as ${name}`);
    }
    if (!name) {
      name = column;
      if (spec) unknown.push(column);
    }
    const at = names.length + 1;
    // A broken header in a OneRoster file means a broken export: fail loudly. A vendor's extra file is only along for the ride, so it is repaired.
    if (name === "") {
      if (spec) throw new FileError(file, 1, `column ${at} of the header has no name`);
      name = unusedName(`column${at}`, true, names, given);
      renamed.push(`column ${at} has no name, read as "${name}"`);
    } else if (names.includes(name)) {
      if (spec) throw new FileError(file, 1, `column "${column}" appears twice in the header`);
      const again = unusedName(name, false, names, given);
      renamed.push(`column ${at} repeats "${name}", read as "${again}"`);
      name = again;
    }
    names.push(name);
  }
  const warnings: string[] = [];
  if (aliased.length) warnings.push(`columns named the pre-1.1 way: ${aliased.join(", ")}`);
  if (unknown.length) warnings.push(`columns not in OneRoster kept as extension fields: ${unknown.join(", ")}`);
  if (renamed.length) warnings.push(`header of ${file} repaired: ${renamed.join("; ")}`);
  let keyColumn = names.indexOf("sourcedId");
  if (spec) {
    if (keyColumn < 0) throw new FileError(file, 1, `wrong header: no sourcedId column (found: ${columns.join(", ")}); is this the right file?`);
    const missing = spec.fields.filter((f) => f.required && !names.includes(f.name)).map((f) => f.name);
    if (missing.length) throw new FileError(file, 1, `wrong header: required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} missing (found: ${columns.join(", ")})`);
  } else if (keyColumn < 0) {
    // A vendor's extra file is keyed by its first column.
    keyColumn = 0;
    names[0] = "sourcedId";
  }
  const columnOf = new Map(names.map((name, i) => [name, i]));
  return { names, keyColumn, columnOf, warnings, build: rowBuilder(names), seed: digestSeed(names) };
}

/** `base` itself (when `asIs`) or the first of `<base>_2`, `<base>_3`… that no earlier column took and no column of the header is named. */
function unusedName(base: string, asIs: boolean, names: readonly string[], given: ReadonlySet<string>): string {
  const free = (n: string) => !names.includes(n) && !given.has(n);
  if (asIs && free(base)) return base;
  let k = 2;
  while (!free(`${base}_${k}`)) k++;
  return `${base}_${k}`;
}

/**
 * A function that makes a row's object with one literal, compiled once per
 * header: filling `{}` key by key goes through V8's generic keyed stores
 * and was most of the adapter's cost per row. Names enter the code only as
 * JSON string literals.
 */
function rowBuilder(names: readonly string[]): (values: string[]) => Record<string, string> {
  const body = names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(", ");
  return new Function("v", `return { ${body} };`) as (values: string[]) => Record<string, string>;
}

/** Fields a file must fill beyond its entity's own rules, in this bundle's OneRoster version, and why. */
export interface RequiredHere {
  fields: readonly string[];
  why: string;
}

/**
 * Streams one data file as canonical rows, in batches. Rows that `passOver`
 * lets by (from their digest, once the header is read) come as `passed`
 * events, their fields never made.
 *
 * @example
 * for await (const batch of readDataFile(bytes, "users.csv", "users", "bulk")) …
 */
export async function* readDataFile(
  bytes: AsyncIterable<Uint8Array>,
  file: string,
  entity: string,
  mode: FileMode,
  passOverFor?: PassOverFor,
  required?: RequiredHere,
): AsyncGenerator<SourceEvent[]> {
  let header: Header | undefined;
  let pass: PassOver | undefined;
  yield [{ kind: "file", file, entity, mode }];
  let cut: (column: number) => string = () => "";
  const field = (name: string): string | undefined => {
    const column = header!.columnOf.get(name);
    return column === undefined ? undefined : cut(column);
  };
  // A row passed over comes out as its event, made here: one object per row, nothing more.
  const offer: PassOverCut<SourcePassed> = (line, digest, cutter) => {
    const sourcedId = cutter(header!.keyColumn);
    if (sourcedId === "") return undefined;
    cut = cutter;
    const seeded = seededDigest(header!.seed, digest);
    return pass!(line, seeded, sourcedId, field) ? { kind: "passed", file, line, entity, sourcedId, digest: seeded } : undefined;
  };
  // The tokenizer hands over the header as soon as it reads it, so that the rows after it, in the same chunk too, can be passed over.
  const onHeader = (names: string[]): PassOverCut<SourcePassed> | undefined => {
    header = matchHeader(file, entity, names);
    for (const name of required?.fields ?? []) {
      if (!header.columnOf.has(name)) throw new FileError(file, 1, `wrong header: no ${name} column; ${required!.why}`);
    }
    pass = passOverFor?.(entity, file);
    return pass ? offer : undefined;
  };
  let first = true;
  for await (const batch of readCsv(decodePieces(bytes, file), { file, digests: true, passOver: onHeader })) {
    const out: SourceEvent[] = [];
    for (const rec of batch) {
      if (first) {
        first = false;
        if ("error" in rec) throw new FileError(file, rec.line, `header: ${rec.error}`);
        for (const message of header!.warnings) out.push(issue(file, rec.line, entity, "", "WARNING", message));
        continue;
      }
      // Set by onHeader when the tokenizer read the first record.
      const head = header!;
      if ("kind" in rec) {
        out.push(rec);
        continue;
      }
      if ("error" in rec) {
        out.push(issue(file, rec.line, entity, "", "ERROR", `${rec.error}; the row is skipped`));
        continue;
      }
      const values = rec.fields;
      const names = head.names;
      if (values.length !== names.length) {
        const id = values[head.keyColumn] ?? "";
        out.push(issue(file, rec.line, entity, id, "ERROR",
          `expected ${names.length} fields as in the header, found ${values.length}; check for an unquoted comma or a cut-off line`));
        continue;
      }
      const fields = head.build(values);
      // A delete names its record and nothing more.
      const blank = required && fields.status !== "tobedeleted" ? required.fields.filter((name) => (fields[name] ?? "") === "") : [];
      if (blank.length > 0) {
        out.push(issue(file, rec.line, entity, fields.sourcedId ?? "", "ERROR", blank.map((name) => `${name}: required but empty; ${required!.why}`).join("; ")));
        continue;
      }
      out.push({ kind: "row", file, line: rec.line, entity, fields, digest: seededDigest(head.seed, rec.digest!) });
    }
    if (out.length) yield out;
  }
  if (!header) throw new FileError(file, 1, "is empty; expected a header row starting sourcedId,status,dateLastModified");
}

/**
 * Streams a vendor's extra file (not a OneRoster entity) as extension
 * rows, in delta mode. Such a file only rides along, so it never fails the
 * bundle: one that cannot be read is skipped with a WARNING. One that breaks
 * after some of its rows went out cannot take them back; the rest of it is
 * then one ERROR, so the job shows that rows were lost.
 *
 * @example
 * yield* readExtensionFile(() => bundle.open("guardians.csv"), "guardians.csv", "guardians");
 */
export async function* readExtensionFile(
  open: () => Promise<AsyncIterable<Uint8Array>>,
  file: string,
  entity: string,
  passOverFor?: PassOverFor,
): AsyncGenerator<SourceEvent[]> {
  let rowsOut = false;
  try {
    for await (const batch of readDataFile(await open(), file, entity, "delta", passOverFor)) {
      if (!rowsOut) rowsOut = batch.some((e) => e.kind === "row" || e.kind === "passed");
      yield batch;
    }
  } catch (err) {
    if (!(err instanceof FileError) || err.file !== file) throw err;
    yield [rowsOut
      ? issue(file, err.line, entity, "", "ERROR", `cannot be read from line ${err.line} on (${err.reason}); the rows before it are stored, none after it`)
      : issue(file, err.line, entity, "", "WARNING", `cannot be read (${err.reason}); as it is not a OneRoster file, it is skipped and the rest of the bundle imported`)];
  }
}

function issue(file: string, line: number, entity: string, sourcedId: string, severity: "ERROR" | "WARNING", message: string): SourceIssue {
  return { kind: "issue", file, line, entity, sourcedId, severity, message };
}
