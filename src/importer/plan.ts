/**
 * Plan: compare the staged package with the store, record by record, and
 * say what each would do — create, update, delete, leave unchanged.
 *
 * A bulk entity is a merge of two sorted ranges (the staging database and the
 * tenant's records of that entity) so that records the file no longer holds
 * are found without holding either side in memory; a delta entity is looked
 * up row by row. The same walk drives the dry run, the held-job counts and
 * the apply, which makes them agree by construction.
 *
 * @module
 */
import type { Database } from "lmdb";
import type { FileMode } from "../formats/types.ts";
import { recordRange, stagedKey, stagedRange, recordKey } from "../store/keys.ts";
import { decodeBody, decodeRecord, encodeBody, type RecordStatus, type StoredRecord } from "../store/record.ts";
import type { Store } from "../store/mod.ts";
import { decodeStaged, type StagedRow } from "./_staged.ts";
import type { RowAction } from "./results.ts";

export interface PlanEntity {
  entity: string;
  mode: FileMode;
  file: string;
}

export interface PlanContext {
  store: Store;
  staging: Database<Buffer, string>;
  tenant: string;
  files: readonly string[];
  entities: readonly PlanEntity[];
}

/** Where a walk starts again: after this record of the entity at this index. */
export interface PlanPosition {
  entityIndex: number;
  sourcedId: string;
}

export interface PlannedAction {
  entity: string;
  entityIndex: number;
  sourcedId: string;
  action: RowAction;
  status: "SUCCESS" | "WARNING";
  message: string;
  file: string;
  line: number;
  /** What the record becomes (create, update, delete). */
  next?: { status: RecordStatus; body: string };
  /** The stored record before the change (update, delete, unchanged). */
  before?: StoredRecord;
}

/**
 * Walks the plan in key order, entity by entity, from the start or after a
 * checkpoint. Also yields `{ existing }` once per entity for thresholds.
 *
 * @example
 * for (const a of walkPlan(ctx)) if (a.action !== "unchanged") console.log(a.action, a.sourcedId);
 */
export function* walkPlan(ctx: PlanContext, from?: PlanPosition): Generator<PlannedAction> {
  for (let i = from?.entityIndex ?? 0; i < ctx.entities.length; i++) {
    const after = from && i === from.entityIndex ? from.sourcedId : undefined;
    const pe = ctx.entities[i]!;
    if (pe.mode === "bulk") yield* walkBulk(ctx, i, pe, after);
    else yield* walkDelta(ctx, i, pe, after);
  }
}

/** The number of records of `entity` the tenant has, deleted ones included. */
export function existingCount(ctx: PlanContext, entity: string): number {
  return ctx.store.records.getKeysCount(recordRange(ctx.tenant, entity));
}

function* walkBulk(ctx: PlanContext, index: number, pe: PlanEntity, after?: string): Generator<PlannedAction> {
  const stagedPrefix = pe.entity.length + 1;
  const recordPrefix = ctx.tenant.length + pe.entity.length + 2;
  const sRange = stagedRange(pe.entity);
  const rRange = recordRange(ctx.tenant, pe.entity);
  const staged = ctx.staging.getRange({ start: after === undefined ? sRange.start : stagedKey(pe.entity, after), end: sRange.end })[Symbol.iterator]();
  const stored = ctx.store.records.getRange({ start: after === undefined ? rRange.start : recordKey(ctx.tenant, pe.entity, after), end: rRange.end })[Symbol.iterator]();
  let s = staged.next();
  let r = stored.next();
  if (after !== undefined) {
    if (!s.done && s.value.key.slice(stagedPrefix) === after) s = staged.next();
    if (!r.done && r.value.key.slice(recordPrefix) === after) r = stored.next();
  }
  while (!s.done || !r.done) {
    const sId = s.done ? undefined : s.value.key.slice(stagedPrefix);
    const rId = r.done ? undefined : r.value.key.slice(recordPrefix);
    if (sId !== undefined && (rId === undefined || sId < rId)) {
      yield decide(ctx, index, pe, sId, decodeStaged(s.value!.value), undefined);
      s = staged.next();
    } else if (rId !== undefined && (sId === undefined || rId < sId)) {
      const record = decodeRecord(r.value!.value);
      if (record.status === "active") {
        yield {
          entity: pe.entity, entityIndex: index, sourcedId: rId, action: "delete", status: "SUCCESS",
          message: `not in the bulk file ${pe.file}: marked tobedeleted`, file: pe.file, line: 0,
          next: { status: "tobedeleted", body: record.body }, before: record,
        };
      }
      r = stored.next();
    } else {
      yield decide(ctx, index, pe, sId!, decodeStaged(s.value!.value), decodeRecord(r.value!.value));
      s = staged.next();
      r = stored.next();
    }
  }
}

function* walkDelta(ctx: PlanContext, index: number, pe: PlanEntity, after?: string): Generator<PlannedAction> {
  const stagedPrefix = pe.entity.length + 1;
  const sRange = stagedRange(pe.entity);
  for (const { key, value } of ctx.staging.getRange({ start: after === undefined ? sRange.start : stagedKey(pe.entity, after), end: sRange.end })) {
    const id = key.slice(stagedPrefix);
    if (id === after) continue;
    const bytes = ctx.store.records.getBinary(recordKey(ctx.tenant, pe.entity, id));
    yield decide(ctx, index, pe, id, decodeStaged(value), bytes ? decodeRecord(bytes) : undefined);
  }
}

function decide(ctx: PlanContext, index: number, pe: PlanEntity, id: string, row: StagedRow, before?: StoredRecord): PlannedAction {
  const base = {
    entity: pe.entity, entityIndex: index, sourcedId: id,
    file: ctx.files[row.fileIndex] ?? pe.file, line: row.line,
    status: row.warning === "" ? ("SUCCESS" as const) : ("WARNING" as const), message: row.warning,
  };
  if (row.op === "delete") {
    if (!before) return { ...base, action: "skip", status: "WARNING", message: join(row.warning, "not in the store, nothing to delete") };
    if (before.status === "tobedeleted") return { ...base, action: "unchanged", before };
    return { ...base, action: "delete", next: { status: "tobedeleted", body: before.body }, before };
  }
  if (!before) return { ...base, action: "create", next: { status: "active", body: row.body } };
  const body = row.keepBlank === "" ? row.body : keepBlanks(pe.entity, before.body, row.body, row.keepBlank);
  if (before.status === "active" && body === before.body) return { ...base, action: "unchanged", before };
  const message = before.status === "tobedeleted" ? join(row.warning, "restored (was tobedeleted)") : row.warning;
  return { ...base, message, action: "update", next: { status: "active", body }, before };
}

/** A blank source value with `blank: keep` leaves the stored value in place. */
function keepBlanks(entity: string, storedBody: string, stagedBody: string, keepBlank: string): string {
  const stored = decodeBody(storedBody);
  const incoming = decodeBody(stagedBody);
  for (const name of keepBlank.split(",")) {
    if ((incoming[name] ?? "") === "" && stored[name] !== undefined) incoming[name] = stored[name]!;
  }
  return encodeBody(entity, incoming);
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a}; ${b}`;
}
