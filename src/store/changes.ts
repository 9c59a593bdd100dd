/**
 * The change log: every change to a tenant's records, in order, numbered by
 * the tenant's change sequence. Delta exports read it from their cursor.
 *
 * Changes are stored a block per apply batch (key: tenant · first seq;
 * value: one `entity NUL sourcedId NUL op` line per change), which halves
 * the writes of a first import against a put per change.
 *
 * @module
 */
import { changeKey, changeRange } from "./keys.ts";
import type { Store } from "./mod.ts";

export type ChangeOp = "create" | "update" | "delete";

export interface Change {
  seq: number;
  entity: string;
  sourcedId: string;
  op: ChangeOp;
}

/**
 * Queues a block of changes numbered from `firstSeq` with the other writes
 * of the current event turn, which lmdb commits as one transaction.
 *
 * @example appendChanges(store, "strata", 18, ["users\x00u1\x00update"]);
 */
export function appendChanges(store: Store, tenant: string, firstSeq: number, lines: readonly string[]): void {
  if (lines.length > 0) void store.changes.put(changeKey(tenant, firstSeq), lines.join("\n"));
}

/** One change line as {@link appendChanges} takes it. */
export function changeLine(entity: string, sourcedId: string, op: ChangeOp): string {
  return `${entity}\x00${sourcedId}\x00${op}`;
}

/**
 * The tenant's changes after `afterSeq`, oldest first.
 *
 * @example for (const c of readChanges(store, "strata", cursor)) …
 */
export function* readChanges(store: Store, tenant: string, afterSeq = 0): Generator<Change> {
  // The block holding afterSeq + 1 starts at or before it: begin one block early.
  const range = changeRange(tenant, 0);
  let start = changeKey(tenant, afterSeq + 1);
  for (const { key } of store.changes.getRange({ start, end: tenant + "\x00", reverse: true, limit: 1 })) start = key;
  for (const { key, value } of store.changes.getRange({ start, end: range.end })) {
    const first = Number(key.slice(tenant.length + 1));
    const lines = value.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const seq = first + i;
      if (seq <= afterSeq) continue;
      const [entity, sourcedId, op] = lines[i]!.split("\x00") as [string, string, ChangeOp];
      yield { seq, entity, sourcedId, op };
    }
  }
}
