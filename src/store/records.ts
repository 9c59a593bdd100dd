/**
 * Reading canonical records for people and scripts (the records API): one
 * record, or a page of one entity in sourcedId order.
 *
 * @module
 */
import { activeKey, countKey, recordKey, recordRange } from "./keys.ts";
import type { Store } from "./mod.ts";
import { decodeBody, decodeRecord, locateBody } from "./record.ts";

/** A record as the API shows it: OneRoster field names, status and last change. */
export interface CanonicalRecord {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  [field: string]: string;
}

function canonical(sourcedId: string, bytes: Uint8Array): CanonicalRecord {
  const r = decodeRecord(bytes);
  return { ...decodeBody(r.body), sourcedId, status: r.status, dateLastModified: new Date(r.modifiedAt).toISOString() };
}

/** @example readRecord(store, "strata", "users", "u1")?.givenName */
export function readRecord(store: Store, tenant: string, entity: string, sourcedId: string): CanonicalRecord | undefined {
  const bytes = store.records.getBinary(recordKey(tenant, entity, sourcedId));
  return bytes ? canonical(sourcedId, bytes) : undefined;
}

/**
 * A page of records after `cursor` (a sourcedId), in sourcedId order.
 *
 * @example const { records, next } = listRecords(store, "strata", "users", 100);
 */
export function listRecords(store: Store, tenant: string, entity: string, limit: number, cursor?: string): { records: CanonicalRecord[]; next: string | null } {
  const range = recordRange(tenant, entity);
  const start = cursor === undefined ? range.start : recordKey(tenant, entity, cursor) + "\x00";
  const records: CanonicalRecord[] = [];
  for (const { key, value } of store.records.getRange({ start, end: range.end, limit: limit + 1 })) {
    if (records.length === limit) return { records, next: records[records.length - 1]!.sourcedId };
    records.push(canonical((key as string).slice(range.start.length), value));
  }
  return { records, next: null };
}

/**
 * How many records of `entity` the tenant has (deleted ones included): as the
 * import's apply keeps it ({@link CreatedCounts}), or counted in a store from
 * before it was kept.
 *
 * @example countRecords(store, "strata", "users") // 210000
 */
export function countRecords(store: Store, tenant: string, entity: string): number {
  const kept = store.meta.get(countKey(tenant, entity)) as number | undefined;
  return kept ?? store.records.getKeysCount(recordRange(tenant, entity));
}

/**
 * How many records of `entity` the tenant has active (tobedeleted ones left
 * out): as the last import kept it ({@link keepActiveCount}), or counted —
 * in a store from before it was kept, or after an apply that could not say.
 * Counting reads each record's header only.
 *
 * @example countActive(store, "strata", "users") // 198000
 */
export function countActive(store: Store, tenant: string, entity: string): number {
  const kept = store.meta.get(activeKey(tenant, entity)) as number | undefined;
  if (kept !== undefined) return kept;
  let n = 0;
  for (const { value } of store.recordViews.getRange(recordRange(tenant, entity))) if (locateBody(value.bytes, value.size).active) n++;
  return n;
}

/**
 * Forgets the entity's kept active count: done before an apply changes its
 * records, so that one stopped half-way (failed, or applied later onto
 * other records than it was planned on) leaves it to be counted again rather
 * than wrong.
 */
export function forgetActiveCount(store: Store, tenant: string, entity: string): void {
  store.meta.removeSync(activeKey(tenant, entity));
}

/** Keeps the entity's active count, known exact (call inside the transaction that ends the apply). */
export function keepActiveCount(store: Store, tenant: string, entity: string, active: number): void {
  store.meta.putSync(activeKey(tenant, entity), active);
}

/**
 * The kept record counts of a tenant's entities while an apply creates
 * records: each entity's count is read once, the first time the apply
 * creates one of it, and from then on kept here and written whole with
 * every batch that adds to it. The apply's writes are queued (see
 * `importer/apply.ts`), so a read does not see the batch being queued; it
 * queues a batch only once the one before has committed, so that first read
 * sees every record before it. A store from before the count was kept is
 * counted once.
 *
 * @example const counts = new CreatedCounts(store, "strata"); counts.add("users", 5000); // queued with the batch's records
 */
export class CreatedCounts {
  #counts = new Map<string, number>();

  constructor(readonly store: Store, readonly tenant: string) {}

  /** Queues the entity's count, `created` more than it was, in the current batch. */
  add(entity: string, created: number): void {
    const n = (this.#counts.get(entity) ?? countRecords(this.store, this.tenant, entity)) + created;
    this.#counts.set(entity, n);
    void this.store.meta.put(countKey(this.tenant, entity), n);
  }
}
