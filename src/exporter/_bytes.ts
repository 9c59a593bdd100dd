/**
 * A full mapped export (every record of an entity) read and written as
 * bytes: each record is read in lmdb's own buffer (`store.recordViews`), its
 * fields are found by scanning for the separators, and a value that the
 * mapping passes through unchanged is copied byte for byte into the output
 * buffer (quoted when it holds a delimiter, quote or line break). Values
 * with codes or transforms, and joined records, are worked out once per
 * distinct source value and remembered as the bytes they write.
 *
 * No string is made for most fields of most rows: that, and the string of
 * each whole record, was most of an export's time. The output is the same
 * file the string path (`_source.ts` + `csvLine`) writes; test/export-bytes
 * compares the two. Anything this path does not cover (a `concat:` that reads
 * other fields, a delimiter or quote that is not one ASCII character, names
 * longer than 63 bytes) makes {@link planByteExport} return undefined, and
 * the caller takes the string path.
 *
 * @module
 */
import { recordRange } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import type { CompiledMapping } from "../mapping/mod.ts";
import { resolveField, type Join } from "../model/joins.ts";
import { type AtomicFile, type CsvStyle, csvField } from "./_file.ts";
import { ByteMemo } from "./_memo.ts";
import { JoinCache } from "./_source.ts";

const RS = 0x1e;
const US = 0x1f;
const CR = 13;
const LF = 10;
const ACTIVE = Buffer.from("active");

/** Where a column's (or a filter's) value comes from. */
type Source =
  | { kind: "own"; slot: number }
  | { kind: "sourcedId" }
  | { kind: "status" }
  | { kind: "join"; join: number; field: string }
  | { kind: "none" };

export interface ByteExport {
  /** Writes every matching record's line; `skip` gets each row the mapping refuses, with its errors. */
  run(out: AtomicFile, skip: (sourcedId: string, errors: string[]) => void): number;
}

const ascii = (c: string) => c.length === 1 && c.charCodeAt(0) < 0x80;

/**
 * The byte path for an export of all records of `entity`, or undefined when the profile
 * needs the string path.
 *
 * @example const fast = planByteExport(store, "strata", "users", mapping, {}, csvStyle(profile.file));
 */
export function planByteExport(
  store: Store, tenant: string, entity: string, mapping: CompiledMapping, where: Record<string, string>, style: CsvStyle,
): ByteExport | undefined {
  if (!mapping.valueOnly || !ascii(style.delimiter) || !(style.quote === "" || ascii(style.quote))) return undefined;
  const slots: string[] = [];
  const joins: Join[] = [];
  const sourceOf = (name: string | undefined): Source => {
    if (name === undefined) return { kind: "none" };
    const s = resolveField(entity, name);
    if (typeof s === "string") throw new Error(s);
    const own = (field: string): Source => {
      if (field === "sourcedId") return { kind: "sourcedId" };
      if (field === "status") return { kind: "status" };
      if (!slots.includes(field)) slots.push(field);
      return { kind: "own", slot: slots.indexOf(field) };
    };
    if (!s.join) return own(s.field);
    if (!joins.includes(s.join)) joins.push(s.join);
    return { kind: "join", join: joins.indexOf(s.join), field: s.field };
  };
  const columns = mapping.columns.map((c) => sourceOf(c.from));
  const filters = Object.entries(where).map(([name, wanted]) => ({ source: sourceOf(name), wanted, bytes: Buffer.from(wanted) }));
  const vias = joins.map((j) => sourceOf(j.via));
  if (slots.some((n) => Buffer.byteLength(n) > 63)) return undefined;
  const constants = mapping.columns.map((c, i) => (c.from === undefined ? mapping.mapOne(i, "", []) : ""));
  if (constants.some((c) => c === undefined)) return undefined;
  return { run: (out, skip) => writeAll(store, tenant, entity, mapping, style, { slots, joins, columns, filters, vias, constants: constants as string[] }, out, skip) };
}

interface Plan {
  slots: string[];
  joins: Join[];
  columns: Source[];
  filters: { source: Source; wanted: string; bytes: Buffer }[];
  vias: Source[];
  constants: string[];
}

/** Field name bytes → slot, looked up by (length, first byte) and then compared. */
function nameTable(slots: readonly string[]): ({ name: Buffer; slot: number }[] | undefined)[] {
  const table: ({ name: Buffer; slot: number }[] | undefined)[] = new Array(64 * 256);
  slots.forEach((n, slot) => {
    const name = Buffer.from(n);
    (table[name.length * 256 + name[0]!] ??= []).push({ name, slot });
  });
  return table;
}

/** `bytes[at, at + name.length)` equals `name`. */
function same(bytes: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (bytes[at + i] !== name[i]) return false;
  return true;
}

// How a row's column is written: bytes to copy as they are, bytes of the record (quoted as needed), text.
const READY = 0;
const RECORD = 1;
const TEXT = 2;

function writeAll(
  store: Store, tenant: string, entity: string, mapping: CompiledMapping, style: CsvStyle, plan: Plan, out: AtomicFile,
  skip: (sourcedId: string, errors: string[]) => void,
): number {
  const range = recordRange(tenant, entity);
  const rows = new ByteRows(store, tenant, range.start.length, mapping, style, plan, out, skip);
  // The loop only hands records over: the work is in small methods V8 optimises as functions,
  // not in one long loop body compiled on the stack (which deoptimised once and stayed slow).
  for (const { key, value } of store.recordViews.getRange(range)) rows.row(key as string, value.bytes, value.size);
  return rows.written;
}

/** One export's state: the row being read (its bytes, offsets, strings made so far) and what is remembered. */
class ByteRows {
  written = 0;
  readonly #D: number;
  readonly #Q: number;
  readonly #quoteAll: boolean;
  readonly #eol: Buffer;
  readonly #n: number;
  readonly #table: ({ name: Buffer; slot: number }[] | undefined)[];
  readonly #start: Int32Array;
  readonly #end: Int32Array;
  readonly #cache: JoinCache;
  readonly #joined: (Record<string, string> | undefined)[];
  readonly #viaMemo: ByteMemo<Record<string, string> | null>[];
  // Per column: the bytes a mapped value writes, by source bytes (own fields) or by source text (the rest).
  readonly #byteMemo: ByteMemo<Buffer>[];
  readonly #textMemo: Map<string, Buffer>[];
  readonly #constants: Buffer[];
  readonly #plain: boolean[];
  readonly #colBytes: Buffer[];
  readonly #colStart: Int32Array;
  readonly #colEnd: Int32Array;
  readonly #colKind: Uint8Array;
  readonly #colText: string[];
  readonly #errors: string[] = [];
  readonly #anyStatus: boolean;
  // The record being read; strings are made only when a column, a filter or a row error needs them.
  #key = "";
  #b: Buffer = Buffer.alloc(0);
  #size = 0;
  #c = 0;
  #d = 0;
  #sourcedId: string | undefined;
  #status: string | undefined;

  constructor(
    store: Store, tenant: string, readonly cut: number, readonly mapping: CompiledMapping, readonly style: CsvStyle, readonly plan: Plan,
    readonly out: AtomicFile, readonly skip: (sourcedId: string, errors: string[]) => void,
  ) {
    this.#D = style.delimiter.charCodeAt(0);
    this.#Q = style.quote === "" ? -1 : style.quote.charCodeAt(0);
    this.#quoteAll = this.#Q >= 0 && style.quoteAll;
    this.#eol = Buffer.from(style.eol);
    const n = (this.#n = plan.columns.length);
    this.#table = nameTable(plan.slots);
    this.#start = new Int32Array(plan.slots.length);
    this.#end = new Int32Array(plan.slots.length);
    this.#cache = new JoinCache(store, tenant);
    this.#joined = new Array(plan.joins.length).fill(undefined);
    this.#viaMemo = plan.joins.map(() => new ByteMemo());
    this.#byteMemo = plan.columns.map(() => new ByteMemo());
    this.#textMemo = plan.columns.map(() => new Map());
    this.#constants = plan.constants.map((v) => this.#encoded(v));
    this.#plain = mapping.columns.map((c) => c.plain);
    this.#colBytes = new Array(n).fill(this.#eol);
    this.#colStart = new Int32Array(n);
    this.#colEnd = new Int32Array(n);
    this.#colKind = new Uint8Array(n);
    this.#colText = new Array(n).fill("");
    this.#anyStatus = plan.filters.some((f) => f.source.kind === "status");
  }

  #encoded(v: string): Buffer {
    return Buffer.from(csvField(v, this.style));
  }

  #sid(): string {
    return (this.#sourcedId ??= this.#key.slice(this.cut));
  }

  #st(): string {
    return (this.#status ??= this.#b.toString("utf8", this.#c + 1, this.#d));
  }

  #text(src: Source): string {
    if (src.kind === "sourcedId") return this.#sid();
    if (src.kind === "status") return this.#st();
    if (src.kind === "join") return this.#joined[src.join]?.[src.field] ?? "";
    if (src.kind === "own") return this.#start[src.slot]! < 0 ? "" : this.#b.toString("utf8", this.#start[src.slot]!, this.#end[src.slot]!);
    return "";
  }

  row(key: string, b: Buffer, size: number): void {
    // `seq RS job RS modifiedAt RS status RS body` (store/record.ts).
    let c = 0;
    for (let seen = 0; c < size; c++) if (b[c] === RS && ++seen === 3) break;
    let d = c + 1;
    while (d < size && b[d] !== RS) d++;
    const active = d - c === 7 && same(b, c + 1, ACTIVE);
    if (!active && !this.#anyStatus) return;
    this.#key = key;
    this.#b = b;
    this.#size = size;
    this.#c = c;
    this.#d = d;
    this.#status = active ? "active" : undefined;
    this.#sourcedId = undefined;
    this.#fields(b, d + 1, size);
    if (this.plan.joins.length > 0) this.#join();
    if (!this.#keep()) return;
    const bound = this.#map();
    if (bound < 0) {
      this.skip(this.#sid(), [...this.#errors]);
      return;
    }
    this.#write(bound);
  }

  /** Finds the body's fields that are read: offsets of their values, -1 for those absent. */
  #fields(b: Buffer, from: number, size: number): void {
    const start = this.#start;
    const end = this.#end;
    const table = this.#table;
    start.fill(-1);
    for (let i = from; i < size; ) {
      let j = i;
      while (j < size && b[j] !== US) j++;
      if (j >= size) break;
      let k = j + 1;
      while (k < size && b[k] !== US) k++;
      const len = j - i;
      const found = len < 64 ? table[len * 256 + b[i]!] : undefined;
      if (found) {
        for (const f of found) {
          if (same(b, i, f.name)) {
            start[f.slot] = j + 1;
            end[f.slot] = k;
            break;
          }
        }
      }
      i = k + 1;
    }
  }

  #join(): void {
    const plan = this.plan;
    for (let j = 0; j < plan.joins.length; j++) {
      const via = plan.vias[j]!;
      if (via.kind === "own") {
        const s = this.#start[via.slot]!;
        const from = s < 0 ? 0 : s;
        const e = s < 0 ? 0 : this.#end[via.slot]!;
        const memo = this.#viaMemo[j]!;
        let hit = memo.get(this.#b, from, e);
        if (hit === undefined) {
          const id = this.#b.toString("utf8", from, e);
          // Reading the joined record reuses lmdb's read buffer, which this record is in: copy it first.
          this.#b = Buffer.from(this.#b.subarray(0, this.#size));
          memo.set(this.#b, from, e, (hit = this.#cache.get(plan.joins[j]!, id) ?? null));
        }
        this.#joined[j] = hit ?? undefined;
      } else {
        const id = via.kind === "sourcedId" ? this.#sid() : via.kind === "status" ? this.#st() : "";
        this.#b = Buffer.from(this.#b.subarray(0, this.#size));
        this.#joined[j] = this.#cache.get(plan.joins[j]!, id);
      }
    }
  }

  /** The `where` filters, on the raw values (as the string path compares them). */
  #keep(): boolean {
    for (const f of this.plan.filters) {
      let keep: boolean;
      if (f.source.kind === "own") {
        const s = this.#start[f.source.slot]!;
        keep = s < 0 ? f.wanted === "" : this.#end[f.source.slot]! - s === f.bytes.length && same(this.#b, s, f.bytes);
      } else keep = this.#text(f.source) === f.wanted;
      if (!keep) return false;
    }
    return true;
  }

  /** Works out each column; returns the most bytes the line can take, or -1 when the mapping refused the row (see #errors). */
  #map(): number {
    const n = this.#n;
    const b = this.#b;
    const errors = this.#errors;
    errors.length = 0;
    let bound = this.#eol.length + n;
    for (let i = 0; i < n; i++) {
      const src = this.plan.columns[i]!;
      this.#colKind[i] = READY;
      this.#colStart[i] = 0;
      let hit: Buffer | undefined;
      if (src.kind === "none") hit = this.#constants[i]!;
      else if (src.kind === "own") {
        const s = this.#start[src.slot]!;
        const e = s < 0 ? 0 : this.#end[src.slot]!;
        const first = s >= 0 && s < e ? b[s]! : 0;
        // A value that may be blank (a space, a no-break space or a BOM first) is left to the mapping.
        if (this.#plain[i] && first > 0x20 && first !== 0xc2 && first !== 0xef) {
          this.#colKind[i] = RECORD;
          this.#colBytes[i] = b;
          this.#colStart[i] = s;
          this.#colEnd[i] = e;
          bound += 2 * (e - s) + 2;
          continue;
        }
        const from = s < 0 ? 0 : s;
        const memo = this.#byteMemo[i]!;
        hit = memo.get(b, from, e);
        if (hit === undefined) {
          const v = this.mapping.mapOne(i, b.toString("utf8", from, e), errors);
          if (v === undefined) continue;
          memo.set(b, from, e, (hit = this.#encoded(v)));
        }
      } else if (src.kind === "sourcedId") {
        // New on every row: written as text, not remembered.
        const v = this.mapping.mapOne(i, this.#sid(), errors);
        if (v === undefined) continue;
        this.#colKind[i] = TEXT;
        this.#colText[i] = v;
        bound += 6 * v.length + 2;
        continue;
      } else {
        const source = this.#text(src);
        const memo = this.#textMemo[i]!;
        hit = memo.get(source);
        if (hit === undefined) {
          const v = this.mapping.mapOne(i, source, errors);
          if (v === undefined) continue;
          if (memo.size >= 4096) memo.clear();
          memo.set(source, (hit = this.#encoded(v)));
        }
      }
      this.#colBytes[i] = hit;
      this.#colEnd[i] = hit.length;
      bound += hit.length;
    }
    return errors.length > 0 ? -1 : bound;
  }

  #write(bound: number): void {
    const D = this.#D;
    const Q = this.#Q;
    const buf = this.out.room(bound);
    let p = this.out.at;
    for (let i = 0; i < this.#n; i++) {
      if (i > 0) buf[p++] = D;
      const kind = this.#colKind[i];
      if (kind === TEXT) p = this.#writeText(buf, p, this.#colText[i]!);
      else if (kind === RECORD) p = this.#writeValue(buf, p, this.#colBytes[i]!, this.#colStart[i]!, this.#colEnd[i]!);
      else {
        const src = this.#colBytes[i]!;
        for (let k = 0; k < src.length; k++) buf[p++] = src[k]!;
      }
    }
    const eol = this.#eol;
    for (let k = 0; k < eol.length; k++) buf[p++] = eol[k]!;
    this.out.advance(p);
    this.written++;
  }

  /** A value's bytes as csvField would write them: quoted, inner quotes doubled, when the style or the value asks. */
  #writeValue(buf: Buffer, p: number, src: Buffer, s: number, e: number): number {
    const D = this.#D;
    const Q = this.#Q;
    let quote = this.#quoteAll;
    if (!quote && Q >= 0) {
      for (let k = s; k < e; k++) {
        const ch = src[k];
        if (ch === D || ch === Q || ch === CR || ch === LF) {
          quote = true;
          break;
        }
      }
    }
    if (!quote) {
      for (let k = s; k < e; k++) buf[p++] = src[k]!;
      return p;
    }
    buf[p++] = Q;
    for (let k = s; k < e; k++) {
      const ch = src[k]!;
      buf[p++] = ch;
      if (ch === Q) buf[p++] = Q;
    }
    buf[p++] = Q;
    return p;
  }

  #writeText(buf: Buffer, p: number, text: string): number {
    const D = this.#D;
    const Q = this.#Q;
    const to = p + buf.write(text, p);
    let quote = this.#quoteAll;
    if (!quote && Q >= 0) for (let k = p; k < to && !quote; k++) quote = buf[k] === D || buf[k] === Q || buf[k] === CR || buf[k] === LF;
    return quote ? p + buf.write(csvField(text, this.style), p) : to;
  }
}
