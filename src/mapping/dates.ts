/**
 * Date reading and writing for the `date:FORMAT` transform.
 *
 * Input is whatever SIS exports usually contain: `YYYY-MM-DD`, an ISO
 * date-time, or US `M/D/YYYY` / `MM/DD/YYYY`. A date-time keeps the calendar
 * day it was written with: converting time zones would move birth dates.
 *
 * @module
 */

/** A calendar day, month and day 1-based. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** What may follow `YYYY-MM-DD` in an ISO date-time. */
const ISO_TIME = /^[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DASH = 45;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function valid(year: number, month: number, day: number): CalendarDate | null {
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  const last = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return day > last ? null : { year, month, day };
}

/**
 * Reads a date in one of the accepted input forms, or returns null.
 *
 * @example
 * parseDate("3/7/2011");            // { year: 2011, month: 3, day: 7 }
 * parseDate("2011-03-07T23:30:00Z"); // { year: 2011, month: 3, day: 7 }
 * parseDate("2011-02-30");           // null
 */
export function parseDate(text: string): CalendarDate | null {
  // Hand-rolled digit reading: this runs per row, and regexes cost several times more.
  const v = text.trim();
  if (v.length >= 10 && v.charCodeAt(4) === DASH && v.charCodeAt(7) === DASH) {
    const year = digits(v, 0, 4);
    const month = digits(v, 5, 7);
    const day = digits(v, 8, 10);
    if (v.length > 10) {
      const t = ISO_TIME.exec(v.slice(10));
      if (!t || Number(t[1]) > 23 || Number(t[2]) > 59 || Number(t[3] ?? 0) > 60) return null;
    }
    return valid(year, month, day);
  }
  const s1 = v.indexOf("/");
  const s2 = s1 < 0 ? -1 : v.indexOf("/", s1 + 1);
  if (s1 < 1 || s1 > 2 || s2 - s1 < 2 || s2 - s1 > 3 || v.length - s2 !== 5) return null;
  return valid(digits(v, s2 + 1, v.length), digits(v, 0, s1), digits(v, s1 + 1, s2));
}

/** The number written by the ASCII digits in [start, end), or -1 when any is not a digit. */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const TOKENS = /YYYY|YY|MM|M|DD|D/g;

type Part = string | ((d: CalendarDate) => string);

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
const TOKEN_WRITERS: Record<string, (d: CalendarDate) => string> = {
  YYYY: (d) => String(d.year).padStart(4, "0"),
  YY: (d) => two(d.year % 100),
  MM: (d) => two(d.month),
  M: (d) => String(d.month),
  DD: (d) => two(d.day),
  D: (d) => String(d.day),
};

/**
 * Compiles an output format into a writer, or returns null when the format
 * has no date token at all (almost certainly a typo).
 *
 * @example
 * compileDateFormat("MM/DD/YYYY")!({ year: 2011, month: 3, day: 7 }); // "03/07/2011"
 */
export function compileDateFormat(format: string): ((d: CalendarDate) => string) | null {
  const parts: Part[] = [];
  let last = 0;
  let tokens = 0;
  for (const m of format.matchAll(TOKENS)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    parts.push(TOKEN_WRITERS[m[0]]);
    last = m.index + m[0].length;
    tokens++;
  }
  if (tokens === 0) return null;
  if (last < format.length) parts.push(format.slice(last));
  return (d) => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : p(d);
    return out;
  };
}
