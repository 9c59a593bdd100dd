/**
 * Delimited batch file adapter: any delimiter and quote character, a header
 * row naming the source columns, and the feed's `fields` mapping turning each
 * record into one entity's canonical fields.
 *
 * Header names are matched to the mapping trimmed and ignoring case, because
 * SIS export scripts rarely keep the capitalisation the config was written
 * with. Only the columns the mapping reads must be present; others are
 * ignored, so a vendor adding a column does not break the feed.
 *
 * @module
 */

import { readCsv } from "../csv/mod.ts";
import { compileMapping, MappingError, type CompiledMapping, type FieldMapping } from "../../mapping/mod.ts";
import { FileError, type FileMode, type FileStart, type SourceEvent, type SourceIssue } from "../types.ts";

/** How to read one delimited file. */
export interface DelimitedOptions {
  /** Display name for results, e.g. "strata_2026_11_24.txt". */
  file: string;
  /** The entity every row of the file belongs to (`users`, `classes`…). */
  entity: string;
  /** Field separator, `,` unless given. */
  delimiter?: string;
  /** Quote character, `"` unless given. */
  quote?: string;
  /** The feed's mapping from header columns to canonical fields; must map `sourcedId`. */
  fields: FieldMapping[];
  /** bulk: rows absent from the file are deleted; delta (default): only the rows given change. */
  mode?: FileMode;
}

function compile(options: DelimitedOptions): CompiledMapping {
  let mapping: CompiledMapping;
  try {
    mapping = compileMapping(options.fields, "fields");
  } catch (err) {
    // The importer treats only FileError as "this file cannot be used"; keep that single contract.
    if (err instanceof MappingError) throw new FileError(options.file, 0, `the feed's mapping is wrong: ${err.message}`);
    throw err;
  }
  if (!mapping.targets.includes("sourcedId")) {
    throw new FileError(
      options.file,
      1,
      "no field is mapped to sourcedId; add one like { from: <ID column>, to: sourcedId } to the feed's fields",
    );
  }
  return mapping;
}

/**
 * Finds the header column of each mapping source, or throws a FileError
 * listing what the header does have.
 */
function locateColumns(header: string[], line: number, sources: readonly string[], file: string): number[] {
  const names = header.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, "") : name).trim());
  if (names.every((name) => name === "")) {
    throw new FileError(file, line, "the first row is blank; expected a header row naming the columns");
  }
  const byName = new Map<string, number>();
  const repeated = new Set<string>();
  names.forEach((name, i) => {
    const key = name.toLowerCase();
    if (byName.has(key)) repeated.add(key);
    else byName.set(key, i);
  });
  const missing: string[] = [];
  const columns = sources.map((source) => {
    const key = source.trim().toLowerCase();
    if (repeated.has(key)) {
      throw new FileError(file, line, `column "${source}" named by the mapping appears more than once in the header`);
    }
    const index = byName.get(key);
    if (index === undefined) missing.push(source);
    return index ?? -1;
  });
  if (missing.length > 0) {
    const found = names.filter((name) => name !== "").join(", ");
    const quoted = missing.map((name) => `"${name}"`).join(", ");
    throw new FileError(
      file,
      line,
      missing.length === 1
        ? `column ${quoted} named by the mapping is not in the header (found: ${found})`
        : `columns ${quoted} named by the mapping are not in the header (found: ${found})`,
    );
  }
  return columns;
}

/**
 * Streams a delimited file as canonical rows of one entity, one batch of
 * events per tokenizer batch; the first batch opens with the
 * {@link FileStart}. Row problems (wrong field count, bad quoting, a value
 * the mapping cannot map) are ERROR {@link SourceIssue}s; an empty file, a
 * header missing a mapped column, or a mapping that does not map sourcedId
 * throws a {@link FileError}.
 *
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * const text = createReadStream("accounts.txt", { encoding: "utf8" });
 * const fields = [
 *   { from: "Student Number", to: "sourcedId" },
 *   { from: "Gender", to: "sex", codes: { M: "male", F: "female" } },
 * ];
 * for await (const batch of readDelimited(text, { file: "accounts.txt", entity: "users", delimiter: "|", fields })) {
 *   for (const event of batch) if (event.kind === "row") console.log(event.line, event.fields.sourcedId);
 * }
 * ```
 */
export async function* readDelimited(
  source: AsyncIterable<string>,
  options: DelimitedOptions,
): AsyncGenerator<SourceEvent[]> {
  const { file, entity } = options;
  const mapping = compile(options);
  const sources = mapping.sources;
  const start: FileStart = { kind: "file", file, entity, mode: options.mode ?? "delta" };
  const issue = (line: number, sourcedId: string, message: string): SourceIssue => ({
    kind: "issue",
    file,
    line,
    entity,
    sourcedId,
    severity: "ERROR",
    message,
  });

  let columns: number[] | undefined;
  let width = 0;
  // The FileStart waits for a valid header, so a file rejected at its header announces nothing.
  let out: SourceEvent[] = [start];
  for await (const batch of readCsv(source, { file, delimiter: options.delimiter, quote: options.quote })) {
    for (const item of batch) {
      if (!("fields" in item)) {
        if (!columns) throw new FileError(file, item.line, `the header row cannot be read: ${item.error}`);
        out.push(issue(item.line, "", item.error));
        continue;
      }
      const fields = item.fields;
      if (!columns) {
        columns = locateColumns(fields, item.line, sources, file);
        width = fields.length;
        continue;
      }
      // A blank line (often a trailing one) is not a record.
      if (fields.length === 1 && fields[0] === "") continue;
      const record: Record<string, string> = {};
      for (let i = 0; i < sources.length; i++) record[sources[i]] = fields[columns[i]] ?? "";
      const mapped = mapping.apply(record);
      const sourcedId = mapped.values.sourcedId ?? "";
      if (fields.length !== width) {
        out.push(issue(item.line, sourcedId, `expected ${width} fields, found ${fields.length}`));
        continue;
      }
      if (mapped.errors.length > 0) {
        // One issue per row: the importer counts each ERROR issue as one rejected row.
        out.push(issue(item.line, sourcedId, mapped.errors.join("; ")));
        continue;
      }
      out.push(
        mapped.keepBlank
          ? { kind: "row", file, line: item.line, entity, fields: mapped.values, keepBlank: mapped.keepBlank }
          : { kind: "row", file, line: item.line, entity, fields: mapped.values },
      );
    }
    if (columns && out.length > 0) {
      yield out;
      out = [];
    }
  }
  if (!columns) throw new FileError(file, 0, "the file is empty; expected a header row naming the columns");
}
