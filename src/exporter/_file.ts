/**
 * Writing an export file: names from patterns with date tokens in the
 * appliance's time zone, CSV lines as the profile asks (delimiter, quote,
 * quote-all, line ending, BOM), through a bounded buffer into a hidden
 * temporary file that becomes the real one by rename only once complete —
 * a reader never sees half a file, and a failed write leaves nothing.
 *
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ExportFile } from "../config/mod.ts";

export type Tokens = Record<string, string>;

/**
 * The date tokens of `now` in `timeZone` (the appliance's; the machine's when unset).
 *
 * @example dateTokens(new Date("2026-11-24T21:00:00Z"), "America/Chicago") // { YYYY: "2026", MM: "11", DD: "24", HH: "15", … }
 */
export function dateTokens(now: Date, timeZone: string | undefined): Tokens {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return { YYYY: get("year"), MM: get("month"), DD: get("day"), HH: get("hour"), mm: get("minute"), ss: get("second") };
}

/** Replaces `{token}`s; config check has refused unknown ones. */
export function fillPattern(pattern: string, tokens: Tokens): string {
  return pattern.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => tokens[name] ?? whole);
}

/** `name.ext`, or `name(2).ext`, `(3)`… when the name is taken (dated names written twice in a day). */
export function freeName(dir: string, name: string, extension: string): string {
  const ext = extension ? `.${extension}` : "";
  if (!existsSync(join(dir, name + ext))) return name + ext;
  for (let n = 2; ; n++) if (!existsSync(join(dir, `${name}(${n})${ext}`))) return `${name}(${n})${ext}`;
}

export interface CsvStyle {
  delimiter: string;
  quote: string;
  quoteAll: boolean;
  /** Matches a value that must be quoted (one regex scan beats four includes() per value). */
  needsQuote: RegExp;
  eol: string;
  bom: boolean;
  header: boolean;
}

/** The CSV style of a profile's `file` settings; defaults: comma, `"`, quote when needed, CRLF (RFC 4180), no BOM, a header. */
export function csvStyle(file: ExportFile | undefined): CsvStyle {
  const delimiter = file?.delimiter ?? ",";
  const quote = file?.quote ?? '"';
  const escape = (c: string) => c.replace(/[\\\]^-]/g, "\\$&");
  return {
    delimiter,
    quote,
    quoteAll: file?.quote_all === true,
    needsQuote: new RegExp(`[${escape(delimiter)}${escape(quote)}\r\n]`),
    eol: file?.line_ending === "lf" ? "\n" : "\r\n",
    bom: file?.encoding === "utf-8-bom",
    header: file?.header !== false,
  };
}

/**
 * Formats one line of fields.
 *
 * @example csvLine(["a", "b,c"], csvStyle(undefined)) // 'a,"b,c"\r\n'
 */
export function csvLine(values: readonly string[], s: CsvStyle): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += s.delimiter;
    line += csvField(values[i]!, s);
  }
  return line + s.eol;
}

/** One value as {@link csvLine} writes it: quoted (inner quotes doubled) when the style or the value asks. */
export function csvField(v: string, s: CsvStyle): string {
  return s.quote !== "" && (s.quoteAll || s.needsQuote.test(v)) ? s.quote + v.replaceAll(s.quote, s.quote + s.quote) + s.quote : v;
}

const BUFFER_BYTES = 1 << 20;

/**
 * A file written under a hidden temporary name beside its final one.
 *
 * @example
 * const out = new AtomicFile("/data/tenants/strata/exports/registrations_20261124.csv");
 * out.write("a,b\r\n"); out.commit(); // or out.abort() on any error
 */
export class AtomicFile {
  readonly temp: string;
  #fd: number;
  // Lines are encoded straight into one reused buffer: no growing string to flatten and copy.
  #buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  #at = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.#fd = openSync(this.temp, "w", 0o644);
  }

  write(text: string): void {
    // 3 bytes per UTF-16 unit is UTF-8's worst case.
    if (this.#at + text.length * 3 > this.#buffer.length) {
      this.#flush();
      if (text.length * 3 > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(text.length * 3);
    }
    this.#at += this.#buffer.write(text, this.#at);
  }

  /**
   * For a writer that encodes bytes itself: makes room for `n` bytes after {@link at}
   * (flushing what is buffered) and returns the buffer; write from `at`, then {@link advance}.
   */
  room(n: number): Buffer {
    if (this.#at + n > this.#buffer.length) {
      this.#flush();
      if (n > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(n);
    }
    return this.#buffer;
  }

  /** Where the next byte goes in the buffer {@link room} returned. */
  get at(): number {
    return this.#at;
  }

  /** Marks the buffer written up to `to` (after writing into {@link room}'s buffer). */
  advance(to: number): void {
    this.#at = to;
  }

  #flush(): void {
    let done = 0;
    while (done < this.#at) done += writeSync(this.#fd, this.#buffer, done, this.#at - done);
    this.bytes += this.#at;
    this.#at = 0;
  }

  /** Flushes, syncs and renames into place: the file is whole on disk before anyone can see it. */
  commit(): void {
    this.#flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = -1;
    renameSync(this.temp, this.path);
  }

  /** Drops the temporary file (after any failure). */
  abort(): void {
    if (this.#fd >= 0) {
      try {
        closeSync(this.#fd);
      } catch {
        /* already unusable */
      }
      this.#fd = -1;
    }
    rmSync(this.temp, { force: true });
  }
}
