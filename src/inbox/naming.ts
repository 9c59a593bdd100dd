/**
 * File naming of submissions (CONTRACT.md, File naming and order):
 * `ClientString_YYYY_MM_DD.ext` is the preferred name, and a second file of
 * the same name on the same day is kept as `name(2).ext`, then `(3)`…
 *
 * @module
 */

export interface SubmissionName {
  /** The client string (the tenant id the file says it is for). */
  client: string;
  /** The date in the name, `YYYY-MM-DD`. */
  date: string;
  /** 1 for the first file of the day, 2 for `(2)`… */
  copy: number;
  extension: string;
}

const NAME = /^([A-Za-z0-9][A-Za-z0-9-]*)_(\d{4})_(\d{2})_(\d{2})(?:\((\d{1,4})\))?\.(txt|csv|xml|zip)$/i;

/**
 * Reads a preferred-form name; undefined when the name is not of that form.
 *
 * @example parseSubmissionName("strata_2026_11_24(2).txt") // { client: "strata", date: "2026-11-24", copy: 2, extension: "txt" }
 */
export function parseSubmissionName(name: string): SubmissionName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, client, y, mo, d, copy, extension] = m;
  const date = `${y}-${mo}-${d}`;
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) return undefined;
  return { client: client!, date, copy: copy ? Number(copy) : 1, extension: extension!.toLowerCase() };
}

/**
 * The name a new file gets when `name` is taken: `name(2).ext`, `(3)`…
 *
 * @example uniqueName("strata_2026_11_24.txt", (n) => taken.has(n)) // "strata_2026_11_24(2).txt"
 */
export function uniqueName(name: string, taken: (candidate: string) => boolean): string {
  if (!taken(name)) return name;
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : "";
  for (let copy = 2; copy < 10_000; copy++) {
    const candidate = `${stem}(${copy})${extension}`;
    if (!taken(candidate)) return candidate;
  }
  throw new Error(`${name}: more than 9,999 files of this name`);
}
