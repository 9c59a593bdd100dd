/**
 * Every key the store writes, encoded in one place.
 *
 * Keys are strings, stored as plain UTF-8 (`_key-codec.ts`) so that byte
 * order is string order, parts joined by NUL, which no tenant id, entity name
 * or safe sourcedId can contain. Ranges end at the same prefix followed by
 * \x01, the next byte.
 *
 * @module
 */

const SEP = "\x00";
const AFTER = "\x01";

/** `records`: tenant · entity · sourcedId → the record. */
export function recordKey(tenant: string, entity: string, sourcedId: string): string {
  return tenant + SEP + entity + SEP + sourcedId;
}

/** What every record key of the tenant starts with: `recordKey(t, e, id) === recordKeyPrefix(t) + e + "\x00" + id`. */
export function recordKeyPrefix(tenant: string): string {
  return tenant + SEP;
}

/** The range of one entity's records of one tenant. */
export function recordRange(tenant: string, entity: string): { start: string; end: string } {
  const prefix = tenant + SEP + entity + SEP;
  return { start: prefix, end: tenant + SEP + entity + AFTER };
}

/** `changes`: tenant · first seq of a block (zero-padded so string order is numeric order) → the block (changes.ts). */
export function changeKey(tenant: string, seq: number): string {
  return tenant + SEP + seq.toString().padStart(15, "0");
}

/** The range of one tenant's changes after `seq`. */
export function changeRange(tenant: string, afterSeq: number): { start: string; end: string } {
  return { start: changeKey(tenant, afterSeq + 1), end: tenant + AFTER };
}

/** `meta`: the tenant's last change sequence number. */
export function seqKey(tenant: string): string {
  return "seq" + SEP + tenant;
}

/** `meta`: how many records of an entity the tenant has, deleted ones included (kept by the apply). */
export function countKey(tenant: string, entity: string): string {
  return "count" + SEP + tenant + SEP + entity;
}

/**
 * `meta`: how many records of an entity the tenant has active (not
 * tobedeleted), what the change thresholds judge by. Kept by the import's
 * end (`importer/run.ts`), removed while an apply changes the entity: when it
 * is there, it is exact.
 */
export function activeKey(tenant: string, entity: string): string {
  return "active" + SEP + tenant + SEP + entity;
}

/** `packages`: tenant · feed → the content hash and job of the last package applied. */
export function packageKey(tenant: string, feed: string): string {
  return tenant + SEP + feed;
}

/** `undo`: job · n → the before-image of a record the job changed. */
export function undoKey(jobId: string, n: number): string {
  return jobId + SEP + n.toString().padStart(12, "0");
}

/** A staged row's key in the job's sorted runs: entity · sourcedId. */
export function stagedKey(entity: string, sourcedId: string): string {
  return entity + SEP + sourcedId;
}

/** References that could not be checked yet (their target entity was still arriving). */
export function pendingKey(n: number): string {
  return AFTER + "pending" + SEP + n.toString().padStart(12, "0");
}

/** A staged row rejected after staging (a reference that never arrived) → why. */
export function rejectedKey(stagedRowKey: string): string {
  return AFTER + "rejected" + SEP + stagedRowKey;
}

export const PENDING_RANGE = { start: AFTER + "pending" + SEP, end: AFTER + "pending" + AFTER };
