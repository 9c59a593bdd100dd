/**
 * Reading canonical records for people and scripts (the records API): one
 * record, or a page of one entity in sourcedId order.
 *
 * @module
 */
import { countKey, recordKey, recordRange } from "./keys.ts";
import type { Store } from "./mod.ts";
import { decodeBody, decodeRecord } from "./record.ts";

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
 * import's apply keeps it ({@link addCreated}), or counted in a store from
 * before it was kept.
 *
 * @example countRecords(store, "strata", "users") // 210000
 */
export function countRecords(store: Store, tenant: string, entity: string): number {
  const kept = store.meta.get(countKey(tenant, entity)) as number | undefined;
  return kept ?? store.records.getKeysCount(recordRange(tenant, entity));
}

/**
 * Adds `created` new records of `entity` to the kept count; in the write
 * transaction that puts them, so the count moves with the records (a store
 * from before the count was kept is counted once, these records included).
 *
 * @example store.env.transactionSync(() => { putRecords(); addCreated(store, "strata", "users", 5000); });
 */
export function addCreated(store: Store, tenant: string, entity: string, created: number): void {
  const key = countKey(tenant, entity);
  const kept = store.meta.get(key) as number | undefined;
  store.meta.putSync(key, kept === undefined ? store.records.getKeysCount(recordRange(tenant, entity)) : kept + created);
}
