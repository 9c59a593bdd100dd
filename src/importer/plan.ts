/**
 * Plan: compare the staged package with the store, record by record, and
 * say what each would do — create, update, delete, leave unchanged.
 *
 * The staged rows come out of the job's runs in key order; a bulk entity is
 * merged with the tenant's records of that entity (also in key order), so
 * records the file no longer holds are found without holding either side in
 * memory; a delta entity is looked up row by row. The one walk gives the
 * results, the counts the thresholds judge, and the plan file the apply
 * reads, so a dry run, a held job and an applied one cannot disagree.
 *
 * @module
 */
import type { Database } from "lmdb";
import type { FileMode } from "../formats/types.ts";
import { recordKey, recordRange, rejectedKey } from "../store/keys.ts";
import { decodeBody, decodeRecord, encodeBody, type RecordStatus, type StoredRecord } from "../store/record.ts";
import type { Store } from "../store/mod.ts";
import { decodeStaged, type StagedRow } from "./_staged.ts";
import { mergeRuns, type RunEntry } from "./_runs.ts";
import type { RowAction, RowStatus } from "./results.ts";

export interface PlanEntity {
  entity: string;
  mode: FileMode;
  file: string;
}

export interface PlanContext {
  store: Store;
  staging: Database<Buffer, string>;
  runsDir: string;
  tenant: string;
  files: readonly string[];
  entities: readonly PlanEntity[];
  /** Whether any staged row was rejected after staging (saves a read per row when none was). */
  rejected: number;
}

export interface PlannedAction {
  /** The row's key in the plan (entity · sourcedId): where a checkpoint says the walk got to. */
  key: string;
  entity: string;
  sourcedId: string;
  action: RowAction;
  status: RowStatus;
  message: string;
  file: string;
  line: number;
  /** What the record becomes (create, update, delete). */
  next?: { status: RecordStatus; body: string };
  /** The stored record before the change (update, delete, unchanged). */
  before?: StoredRecord;
}

/**
 * Walks the plan in key order.
 *
 * @example
 * for (const a of walkPlan(ctx)) if (a.next) console.log(a.action, a.sourcedId);
 */
export function* walkPlan(ctx: PlanContext): Generator<PlannedAction> {
  const modes = new Map<string, PlanEntity>();
  for (const pe of ctx.entities) if (!modes.has(pe.entity)) modes.set(pe.entity, pe);
  // Key order: "entity\0id", so entities sort as name + "\0".
  const order = [...modes.keys()].sort((a, b) => (a + "\x00" < b + "\x00" ? -1 : 1));
  const staged = mergeRuns(ctx.runsDir)[Symbol.iterator]();
  let next = staged.next();
  for (const entity of order) {
    const prefix = entity + "\x00";
    const rows: Iterator<RunEntry> = {
      next: () => {
        if (next.done || !next.value.key.startsWith(prefix)) return { done: true, value: undefined };
        const current = next;
        next = staged.next();
        return current;
      },
    };
    const pe = modes.get(entity)!;
    if (pe.mode === "bulk") yield* walkBulk(ctx, pe, rows);
    else yield* walkDelta(ctx, pe, rows);
  }
}

/** The number of records of `entity` the tenant has, deleted ones included. */
export function existingCount(ctx: PlanContext, entity: string): number {
  return ctx.store.records.getKeysCount(recordRange(ctx.tenant, entity));
}

/** Staged rows of one entity, with duplicates and late rejections turned into results. */
function* checked(ctx: PlanContext, pe: PlanEntity, rows: Iterator<RunEntry>): Generator<{ id: string; key: string; row: StagedRow } | PlannedAction> {
  const cut = pe.entity.length + 1;
  let previous: { key: string; row: StagedRow } | undefined;
  for (let r = rows.next(); !r.done; r = rows.next()) {
    const { key, value } = r.value;
    const row = decodeStaged(value);
    const id = key.slice(cut);
    const file = ctx.files[row.fileIndex] ?? pe.file;
    if (previous?.key === key) {
      const first = previous.row;
      yield action(key, pe.entity, id, "skip", "ERROR", file, row.line, `sourcedId "${id}" appears twice in this package (first at ${ctx.files[first.fileIndex]} line ${first.line}); the first row is kept, remove the duplicate`);
      continue;
    }
    previous = { key, row };
    if (ctx.rejected > 0) {
      const why = ctx.staging.getBinary(rejectedKey(key));
      if (why) {
        yield action(key, pe.entity, id, "skip", "ERROR", file, row.line, Buffer.from(why).toString("utf8"));
        continue;
      }
    }
    yield { id, key, row };
  }
}

function* walkBulk(ctx: PlanContext, pe: PlanEntity, rows: Iterator<RunEntry>): Generator<PlannedAction> {
  const cut = ctx.tenant.length + pe.entity.length + 2;
  const stored = ctx.store.recordTexts.getRange(recordRange(ctx.tenant, pe.entity))[Symbol.iterator]();
  let r = stored.next();
  for (const s of checked(ctx, pe, rows)) {
    if ("action" in s) {
      yield s;
      continue;
    }
    // Records the file no longer holds, before this row's key.
    for (; !r.done && r.value.key.slice(cut) < s.id; r = stored.next()) {
      const gone = absent(ctx, pe, r.value.key.slice(cut), r.value.value);
      if (gone) yield gone;
    }
    if (!r.done && r.value.key.slice(cut) === s.id) {
      yield decide(pe, s, decodeRecord(r.value.value), ctx);
      r = stored.next();
    } else yield decide(pe, s, undefined, ctx);
  }
  for (; !r.done; r = stored.next()) {
    const gone = absent(ctx, pe, r.value.key.slice(cut), r.value.value);
    if (gone) yield gone;
  }
}

function absent(ctx: PlanContext, pe: PlanEntity, id: string, text: string): PlannedAction | undefined {
  const record = decodeRecord(text);
  if (record.status !== "active") return undefined;
  return action(`${pe.entity}\x00${id}`, pe.entity, id, "delete", "SUCCESS", pe.file, 0,
    `not in the bulk file ${pe.file}: marked tobedeleted`, { status: "tobedeleted", body: record.body }, record);
}

function* walkDelta(ctx: PlanContext, pe: PlanEntity, rows: Iterator<RunEntry>): Generator<PlannedAction> {
  for (const s of checked(ctx, pe, rows)) {
    if ("action" in s) {
      yield s;
      continue;
    }
    const text = ctx.store.recordTexts.get(recordKey(ctx.tenant, pe.entity, s.id));
    yield decide(pe, s, text !== undefined ? decodeRecord(text) : undefined, ctx);
  }
}

function decide(pe: PlanEntity, s: { id: string; key: string; row: StagedRow }, before: StoredRecord | undefined, ctx: PlanContext): PlannedAction {
  const { row, key, id } = s;
  const file = ctx.files[row.fileIndex] ?? pe.file;
  const ok: RowStatus = row.warning === "" ? "SUCCESS" : "WARNING";
  const e = pe.entity;
  if (row.op === "delete") {
    if (!before) return action(key, e, id, "skip", "WARNING", file, row.line, join(row.warning, "not in the store, nothing to delete"));
    if (before.status === "tobedeleted") return action(key, e, id, "unchanged", ok, file, row.line, row.warning, undefined, before);
    return action(key, e, id, "delete", ok, file, row.line, row.warning, { status: "tobedeleted", body: before.body }, before);
  }
  if (!before) return action(key, e, id, "create", ok, file, row.line, row.warning, { status: "active", body: row.body });
  const body = row.keepBlank === "" ? row.body : keepBlanks(e, before.body, row.body, row.keepBlank);
  if (before.status === "active" && body === before.body) return action(key, e, id, "unchanged", ok, file, row.line, row.warning, undefined, before);
  const message = before.status === "tobedeleted" ? join(row.warning, "restored (was tobedeleted)") : row.warning;
  return action(key, e, id, "update", ok, file, row.line, message, { status: "active", body }, before);
}

/** Every action has this one object shape, which keeps the hot loop monomorphic. */
function action(
  key: string, entity: string, sourcedId: string, act: RowAction, status: RowStatus, file: string, line: number, message: string,
  next?: PlannedAction["next"], before?: StoredRecord,
): PlannedAction {
  return { key, entity, sourcedId, action: act, status, message, file, line, next, before };
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
