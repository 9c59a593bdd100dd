/**
 * The records an export reads, with the fields its mapping names (own and
 * joined), filtered by `where`: every record of the entity (in sourcedId
 * order), the ones changed since the export's cursor (in change order), or
 * one chosen record (a test export).
 *
 * A delta reads the change log from the cursor and keeps a change only if
 * it is the record's latest (the record's `seq` equals the change's): a
 * record changed five times is written once, without remembering ids.
 *
 * @module
 */
import { readChanges } from "../store/changes.ts";
import { recordKey, recordRange } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import { decodeBody, decodeRecord, type StoredRecord } from "../store/record.ts";
import { resolveField, type FieldSource, type Join } from "../model/joins.ts";

export type Selection = { kind: "all" } | { kind: "delta"; after: number; upTo: number } | { kind: "one"; sourcedId: string };

/** Valid until the next record is read: the generator refills the same object. */
export interface SourceRecord {
  sourcedId: string;
  /** Every name the mapping reads → its value ("" when absent). */
  values: Record<string, string>;
}

const US = "\x1f";
const RS = "\x1e";

/** Reads the fields named in `slot` out of an encoded body (record.ts: name US value US …) starting at `from` into `out`; absent ones are "". */
function readFields(body: string, from: number, slot: ReadonlyMap<string, number>, out: string[]): void {
  out.fill("");
  let i = from;
  while (i < body.length) {
    const j = body.indexOf(US, i);
    if (j < 0) return;
    let k = body.indexOf(US, j + 1);
    if (k < 0) k = body.length;
    const at = slot.get(body.slice(i, j));
    if (at !== undefined) out[at] = body.slice(j + 1, k);
    i = k + 1;
  }
}

/** The fields a record offers: its body, its status, its sourcedId. */
function fieldsOf(sourcedId: string, r: StoredRecord): Record<string, string> {
  const f = decodeBody(r.body);
  f.sourcedId = sourcedId;
  f.status = r.status;
  return f;
}

/**
 * Reads records for an export.
 *
 * Calls `visit` for each record (a callback, not a generator: a million
 * resumptions and result objects were a tenth of an export); `visit`
 * returns false to stop.
 *
 * @example forEachExportRecord(store, "strata", "users", ["sourcedId", "sex"], { role: "student" }, { kind: "all" }, (r) => console.log(r.values.sex));
 */
export function forEachExportRecord(
  store: Store, tenant: string, entity: string, names: readonly string[], where: Record<string, string>, selection: Selection,
  visit: (r: SourceRecord) => boolean | void,
): void {
  const sources = new Map<string, FieldSource>();
  for (const n of [...names, ...Object.keys(where)]) {
    const s = resolveField(entity, n);
    if (typeof s === "string") throw new Error(s);
    sources.set(n, s);
  }
  const joins = [...new Set([...sources.values()].flatMap((s) => (s.join ? [s.join] : [])))];
  const cache = new JoinCache(store, tenant);
  const filters = Object.entries(where);
  // The hot loop reads only the own fields it needs, by position, into one reused array:
  // no object per record with its every field (that garbage was a fifth of an export's time).
  const ownNames = [...new Set([...[...sources.values()].flatMap((s) => (s.join ? [] : [s.field])), ...joins.map((j) => j.via)])];
  const slot = new Map(ownNames.map((n, i) => [n, i]));
  const own: string[] = new Array(ownNames.length).fill("");
  const plan = [...sources].map(([name, s]) => ({ name, join: s.join ? joins.indexOf(s.join) : -1, field: s.field, at: s.join ? -1 : slot.get(s.field)! }));
  const joinVia = joins.map((j) => slot.get(j.via)!);
  const joined: (Record<string, string> | undefined)[] = new Array(joins.length);
  // One record object, refilled for each record: the caller uses it before asking for the next.
  const values: Record<string, string> = Object.fromEntries(plan.map((p) => [p.name, ""]));
  const current: SourceRecord = { sourcedId: "", values };

  const sid = slot.get("sourcedId");
  const st = slot.get("status");
  /** `text` holds the body from `bodyAt` (a whole stored record's text, or just a body at 0). */
  const fill = (sourcedId: string, status: string, text: string, bodyAt: number, filter: boolean): SourceRecord | undefined => {
    readFields(text, bodyAt, slot, own);
    if (sid !== undefined) own[sid] = sourcedId;
    if (st !== undefined) own[st] = status;
    for (let j = 0; j < joins.length; j++) joined[j] = cache.get(joins[j]!, own[joinVia[j]!]!);
    for (const p of plan) values[p.name] = p.at >= 0 ? own[p.at]! : (joined[p.join]?.[p.field] ?? "");
    if (filter) for (const [name, wanted] of filters) if (values[name] !== wanted) return undefined;
    current.sourcedId = sourcedId;
    return current;
  };
  const build = (sourcedId: string, record: StoredRecord, filter = true) => fill(sourcedId, record.status, record.body, 0, filter);

  if (selection.kind === "one") {
    const bytes = store.records.getBinary(recordKey(tenant, entity, selection.sourcedId));
    if (!bytes) return;
    // A test export writes the chosen record whatever the filter says: that is what it is for.
    visit(build(selection.sourcedId, decodeRecord(bytes), false)!);
    return;
  }
  if (selection.kind === "all") {
    const range = recordRange(tenant, entity);
    const cut = range.start.length;
    // The string handle: LMDB's bytes become the string directly, with no Buffer per record in between.
    const anyStatus = "status" in where;
    for (const { key, value } of store.recordTexts.getRange(range)) {
      // The record's text is `seq RS job RS modifiedAt RS status RS body` (store/record.ts): read
      // status and body in place rather than decoding a record object per row.
      const c = value.indexOf(RS, value.indexOf(RS, value.indexOf(RS) + 1) + 1);
      const d = value.indexOf(RS, c + 1);
      const active = d - c === 7 && value.startsWith("active", c + 1);
      if (!active && !anyStatus) continue;
      const r = fill((key as string).slice(cut), active ? "active" : value.slice(c + 1, d), value, d + 1, true);
      if (r && visit(r) === false) return;
    }
    return;
  }
  for (const change of readChanges(store, tenant, selection.after)) {
    if (change.seq > selection.upTo) break;
    if (change.entity !== entity) continue;
    const bytes = store.records.getBinary(recordKey(tenant, entity, change.sourcedId));
    if (!bytes) continue;
    const record = decodeRecord(bytes);
    if (record.seq !== change.seq) continue;
    const r = build(change.sourcedId, record);
    if (r && visit(r) === false) return;
  }
}

/**
 * Joined records, remembered: an export of a million enrollments meets the
 * same few thousand classes over and over. Bounded; cleared when full.
 */
export class JoinCache {
  #maps = new Map<Join, Map<string, Record<string, string> | undefined>>();
  #size = 0;
  constructor(readonly store: Store, readonly tenant: string) {}

  get(join: Join, raw: string): Record<string, string> | undefined {
    const comma = join.many ? raw.indexOf(",") : -1;
    const id = comma >= 0 ? raw.slice(0, comma).trim() : raw;
    if (id === "") return undefined;
    let map = this.#maps.get(join);
    if (!map) this.#maps.set(join, (map = new Map()));
    const hit = map.get(id);
    if (hit !== undefined || map.has(id)) return hit;
    const bytes = this.store.records.getBinary(recordKey(this.tenant, join.entity, id));
    const fields = bytes ? fieldsOf(id, decodeRecord(bytes)) : undefined;
    if (++this.#size > 50_000) {
      this.#maps.clear();
      this.#size = 1;
      this.#maps.set(join, (map = new Map()));
    }
    map.set(id, fields);
    return fields;
  }
}
