/**
 * Reading canonical records for people and scripts (the records API): one
 * record, or a page of one entity in sourcedId order.
 *
 * @module
 */
import { recordKey, recordRange } from "./keys.ts";
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

/** How many records of `entity` the tenant has (deleted ones included). */
export function countRecords(store: Store, tenant: string, entity: string): number {
  return store.records.getKeysCount(recordRange(tenant, entity));
}
