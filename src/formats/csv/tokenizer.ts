/**
 * Strict, streaming RFC 4180 tokenizer for roster CSV files.
 *
 * Files come from outside (SIS exports, hand-edited spreadsheets), so the
 * tokenizer reports what it cannot read instead of guessing: a stray quote or
 * an over-long field becomes a {@link CsvRowError} for that record and parsing
 * goes on at the next line; an unterminated quote at the end of the input makes
 * the whole file unusable ({@link FileError}). Line numbers are the ones an
 * editor shows (CRLF, LF and lone CR all end a line), so errors can be found.
 *
 * It works on decoded text (see `decode.ts`) and yields one batch per input
 * chunk, so a consumer awaits once per chunk, not once per row. Field count
 * checks belong to the caller. Chunks of at most ~64 KiB, as `decodeText`
 * makes, are best: V8 keeps larger strings in large-object space, and a
 * stream of them measured 2–4× slower.
 *
 * Field strings may share memory with the chunk they came from (V8 sliced
 * strings): a caller that keeps a few values for long should copy them.
 *
 * @module
 */
import { CsvMachine } from "./_machine.ts";
import type { TextPiece } from "./decode.ts";

/** Fields longer than this (in UTF-16 code units) are rejected unless the caller says otherwise. */
export const DEFAULT_MAX_FIELD_LENGTH = 1 << 20;

/** How to read one delimited file. */
export interface CsvOptions {
  /** Name shown in errors: `users.csv`. */
  file: string;
  /** Field separator, one character: `,` (default), `\t`, `|`, `;`… */
  delimiter?: string;
  /** Quote character, one character (default `"`); `""` turns quoting off. */
  quote?: string;
  /** Longest accepted field in characters (default 1 MiB); a longer one makes its record a {@link CsvRowError}. */
  maxFieldLength?: number;
  /** Give each record a {@link CsvRecord.digest} (`../digest.ts`). */
  digests?: boolean;
  /**
   * With `digests`: called with the first record (the header) as soon as it
   * is read, it returns what to ask about each later record that lies whole
   * in one chunk, before the record's fields are made. A record that hook
   * claims comes out as whatever the hook returned for it, never built;
   * `cut(i)` gives its field `i` (0-based; "" past the last). The caller's
   * way to skip rows it already knows from their digest — most of a nightly
   * re-export.
   */
  passOver?: (header: string[]) => PassOverCut<object> | undefined;
}

/**
 * Decides, from its digest and the few fields it cuts, whether a record is
 * passed over: returns what to put in its place (an object of the caller's),
 * or undefined to have the record built as usual.
 */
export type PassOverCut<P extends object> = (line: number, digest: number, cut: (column: number) => string) => P | undefined;

/** One record: its fields as text, unquoted. */
export interface CsvRecord {
  /** 1-based line where the record starts, as an editor shows it. */
  line: number;
  fields: string[];
  /** With `digests`, a 53-bit hash of the record as read (`../digest.ts`). */
  digest?: number;
}

/** A malformed record: reported, and parsing continues at the next record. */
export interface CsvRowError {
  /** 1-based line where the record starts. */
  line: number;
  /** What is wrong, where (line and column) and how to fix it. */
  error: string;
}

/**
 * Tokenizes decoded CSV text into records, one batch per input chunk.
 *
 * Blank lines are skipped. Empty batches are not yielded. Throws
 * {@link FileError} when the input ends inside a quoted field, and a
 * `TypeError` (before reading anything) for invalid options.
 *
 * @example
 * ```ts
 * for await (const batch of readCsv(decodeText(stream, "users.csv"), { file: "users.csv" })) {
 *   for (const item of batch) {
 *     if ("error" in item) report(item.line, item.error);
 *     else handle(item.line, item.fields);
 *   }
 * }
 * ```
 */
export function readCsv<P extends object>(
  source: AsyncIterable<string | TextPiece>,
  options: CsvOptions & { passOver: (header: string[]) => PassOverCut<P> | undefined },
): AsyncGenerator<Array<CsvRecord | CsvRowError | P>>;
export function readCsv(source: AsyncIterable<string | TextPiece>, options: CsvOptions): AsyncGenerator<Array<CsvRecord | CsvRowError>>;
export function readCsv(
  source: AsyncIterable<string | TextPiece>,
  options: CsvOptions,
): AsyncGenerator<Array<CsvRecord | CsvRowError | object>> {
  const machine = new CsvMachine(
    options.file,
    options.delimiter ?? ",",
    options.quote ?? '"',
    options.maxFieldLength ?? DEFAULT_MAX_FIELD_LENGTH,
    options.digests === true,
    options.digests === true ? options.passOver : undefined,
  );
  return run(source, machine);
}

async function* run(
  source: AsyncIterable<string | TextPiece>,
  machine: CsvMachine,
): AsyncGenerator<Array<CsvRecord | CsvRowError | object>> {
  for await (const chunk of source) {
    const batch = typeof chunk === "string" ? machine.push(chunk) : machine.push(chunk.text, chunk.ascii);
    if (batch.length > 0) yield batch;
  }
  const last = machine.finish();
  if (last.length > 0) yield last;
}
