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
import { decodeBody, decodeRecord, encodeBody, locateBody, type RecordStatus, type StoredRecord } from "../store/record.ts";
import type { Store } from "../store/mod.ts";
import { decodeStagedHead, isKeep, type StagedHead } from "./_staged.ts";
import { mergeRunsRaw, type MergedEntry, type RawEntry } from "./_runs.ts";
import { PrintsDisagree } from "./_prints.ts";
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
  /** Bulk entities whose unchanged rows were passed over by their fingerprints: only their other rows and probes are staged. */
  probed?: readonly string[];
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
  /**
   * What the record becomes (create, update, delete): its body, or for a
   * create where in the staged runs its body is (the apply copies it from
   * there, so the plan file need not hold a second copy of a first import).
   */
  next?: { status: RecordStatus; body?: string; staged?: StagedBody };
  /** The stored record before the change (update, delete, unchanged). */
  before?: StoredRecord;
}

/** Where a staged row's body is: bytes `offset` to `offset + length` of run file `run`. */
export interface StagedBody {
  run: number;
  offset: number;
  length: number;
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
  const staged = mergeRunsRaw(ctx.runsDir)[Symbol.iterator]();
  let next = staged.next();
  // A merged entry is valid only until the merge moves on, so move on only when the next row is asked for.
  let handedOut = false;
  for (const entity of order) {
    const prefix = entity + "\x00";
    const rows: Iterator<MergedEntry> = {
      next: () => {
        if (handedOut) {
          next = staged.next();
          handedOut = false;
        }
        if (next.done || !next.value.key.startsWith(prefix)) return { done: true, value: undefined };
        handedOut = true;
        return next;
      },
    };
    const pe = modes.get(entity)!;
    if (pe.mode === "bulk" && ctx.probed?.includes(entity)) yield* walkProbed(ctx, pe, rows);
    else if (pe.mode === "bulk") yield* walkBulk(ctx, pe, rows);
    else yield* walkDelta(ctx, pe, rows);
  }
}

/** A staged row as the walk meets it: its bytes are valid only until the walk moves on. */
interface StagedRowAt {
  id: string;
  key: string;
  row: StagedHead;
  raw: RawEntry;
  run: number;
}

/** The staged row's body as text (only rows that change need it). */
function bodyText(s: StagedRowAt): string {
  return s.raw.buf.toString("utf8", s.row.bodyStart, s.raw.end);
}

/** A rejected row's stand-in ({@link KEEP}): its record is in the file, so it stays. */
interface Kept {
  kept: string;
}

/** Staged rows of one entity, with duplicates and late rejections turned into results. */
function* checked(ctx: PlanContext, pe: PlanEntity, rows: Iterator<MergedEntry>): Generator<StagedRowAt | PlannedAction | Kept> {
  const cut = pe.entity.length + 1;
  let previous: { key: string; fileIndex: number; line: number } | undefined;
  for (let r = rows.next(); !r.done; r = rows.next()) {
    const { key, raw } = r.value;
    const id = key.slice(cut);
    if (isKeep(raw.buf, raw.valueStart, raw.end)) {
      yield { kept: id };
      continue;
    }
    const row = decodeStagedHead(raw.buf, raw.valueStart, raw.end);
    const file = ctx.files[row.fileIndex] ?? pe.file;
    if (previous?.key === key) {
      yield action(key, pe.entity, id, "skip", "ERROR", file, row.line, duplicateMessage(id, ctx.files[previous.fileIndex] ?? pe.file, previous.line));
      continue;
    }
    previous = { key, fileIndex: row.fileIndex, line: row.line };
    if (ctx.rejected > 0) {
      const why = ctx.staging.getBinary(rejectedKey(key));
      if (why) {
        yield action(key, pe.entity, id, "skip", "ERROR", file, row.line, Buffer.from(why).toString("utf8"));
        continue;
      }
    }
    yield { id, key, row, raw, run: r.value.run };
  }
}

/**
 * The tenant's records of one entity in key order, each copied into a
 * reused buffer as it is reached (lmdb's own read buffer is overwritten by
 * any other read, such as a late rejection's lookup in the walk).
 */
class StoredRecords {
  #range: Iterator<{ key: string; value: { bytes: Buffer; size: number } }>;
  #cut: number;
  bytes = Buffer.allocUnsafe(4096);
  size = 0;
  /** The current record's sourcedId; undefined after the last. */
  id: string | undefined;

  constructor(ctx: PlanContext, entity: string) {
    this.#range = ctx.store.recordViews.getRange(recordRange(ctx.tenant, entity))[Symbol.iterator]();
    this.#cut = ctx.tenant.length + entity.length + 2;
    this.advance();
  }

  advance(): void {
    const r = this.#range.next();
    if (r.done) {
      this.id = undefined;
      return;
    }
    const { bytes, size } = r.value.value;
    if (size > this.bytes.length) this.bytes = Buffer.allocUnsafe(size * 2);
    // lmdb's shared buffer reports the value's size as its length, which Buffer.copy trips over: copy by view.
    this.bytes.set(new Uint8Array(bytes.buffer, bytes.byteOffset, size), 0);
    this.size = size;
    this.id = r.value.key.slice(this.#cut);
  }

  record(): StoredRecord {
    return decodeRecord(this.bytes.toString("utf8", 0, this.size));
  }

  /** Whether the staged row would leave this record as it is: active, and the same body byte for byte. */
  sameAs(s: StagedRowAt): boolean {
    if (s.row.op !== "upsert" || s.row.keepBlank !== "") return false;
    const { bodyStart, active } = locateBody(this.bytes, this.size);
    return active && bodyStart >= 0 && this.bytes.compare(s.raw.buf, s.row.bodyStart, s.raw.end, bodyStart, this.size) === 0;
  }
}

function* walkBulk(ctx: PlanContext, pe: PlanEntity, rows: Iterator<MergedEntry>): Generator<PlannedAction> {
  const stored = new StoredRecords(ctx, pe.entity);
  // The sourcedId of the last row the file holds but that was rejected: its record is not gone.
  let kept: string | undefined;
  for (const s of checked(ctx, pe, rows)) {
    const id = "kept" in s ? s.kept : "action" in s ? s.sourcedId : s.id;
    // Records the file no longer holds, before this row's key.
    for (; stored.id !== undefined && stored.id < id; stored.advance()) {
      if (stored.id === kept) continue;
      const gone = absent(pe, stored);
      if (gone) yield gone;
    }
    if ("kept" in s || "action" in s) {
      // Rejected here or at staging (a duplicate's first row was met already): the record stays as it is.
      kept = id;
      if ("action" in s) yield s;
      continue;
    }
    if (stored.id === s.id) {
      yield stored.sameAs(s) ? unchanged(pe, s, ctx) : decide(pe, s, stored.record(), ctx);
      stored.advance();
    } else yield decide(pe, s, undefined, ctx);
  }
  for (; stored.id !== undefined; stored.advance()) {
    if (stored.id === kept) continue;
    const gone = absent(pe, stored);
    if (gone) yield gone;
  }
}

function absent(pe: PlanEntity, stored: StoredRecords): PlannedAction | undefined {
  if (!locateBody(stored.bytes, stored.size).active) return undefined;
  return gone(pe, stored.id!, stored.record());
}

function gone(pe: PlanEntity, id: string, record: StoredRecord): PlannedAction {
  return action(`${pe.entity}\x00${id}`, pe.entity, id, "delete", "SUCCESS", pe.file, 0,
    `not in the bulk file ${pe.file}: marked tobedeleted`, { status: "tobedeleted", body: record.body }, record);
}

/**
 * A bulk entity whose unchanged rows the fingerprints passed over: what is
 * staged is the rest — rows that changed, are new, or failed a reference —
 * and a probe for each sourcedId of the last file no row matched. Each key's
 * entries (few: most rows never got here) are gathered, then settled against
 * the stored record: a probe with no row is a record the file no longer holds.
 */
function* walkProbed(ctx: PlanContext, pe: PlanEntity, rows: Iterator<MergedEntry>): Generator<PlannedAction> {
  const cut = pe.entity.length + 1;
  let r = rows.next();
  while (!r.done) {
    const key = r.value.key;
    let probe = false;
    let keep = false;
    const group: StagedRowAt[] = [];
    for (; !r.done && r.value.key === key; r = rows.next()) {
      const { raw, run } = r.value;
      if (raw.end === raw.valueStart) {
        probe = true;
        continue;
      }
      if (isKeep(raw.buf, raw.valueStart, raw.end)) {
        keep = true;
        continue;
      }
      // Copied: the merge reuses its buffers as soon as it moves on.
      const buf = Buffer.from(raw.buf.subarray(raw.valueStart, raw.end));
      const at: RawEntry = { buf, keyStart: 0, valueStart: 0, end: buf.length, base: raw.base + raw.valueStart };
      group.push({ id: key.slice(cut), key, row: decodeStagedHead(buf, 0, buf.length), raw: at, run });
    }
    yield* settleProbed(ctx, pe, key, key.slice(cut), probe, keep, group);
  }
}

function* settleProbed(ctx: PlanContext, pe: PlanEntity, key: string, id: string, probe: boolean, keep: boolean, group: StagedRowAt[]): Generator<PlannedAction> {
  const text = ctx.store.recordTexts.get(recordKey(ctx.tenant, pe.entity, id));
  const stored = text !== undefined ? decodeRecord(text) : undefined;
  const active = stored?.status === "active";
  // An active record of a probed entity is one the last file held: matched (so passed over), or probed.
  if (group.length > 0 && !probe && active) throw new PrintsDisagree(`${pe.entity} "${id}" is staged but was also passed over as unchanged`);
  let kept = false;
  for (let i = 0; i < group.length; i++) {
    const s = group[i]!;
    const file = ctx.files[s.row.fileIndex] ?? pe.file;
    if (i > 0) {
      const first = group[0]!.row;
      yield action(key, pe.entity, id, "skip", "ERROR", file, s.row.line, duplicateMessage(id, ctx.files[first.fileIndex] ?? pe.file, first.line));
      continue;
    }
    const why = ctx.rejected > 0 ? ctx.staging.getBinary(rejectedKey(key)) : undefined;
    if (why) {
      yield action(key, pe.entity, id, "skip", "ERROR", file, s.row.line, Buffer.from(why).toString("utf8"));
      continue;
    }
    kept = true;
    yield decide(pe, s, stored, ctx);
  }
  // A rejected row of the file (a keep) still holds its record: not gone.
  if (!kept && !keep && active) yield gone(pe, id, stored!);
}

function duplicateMessage(id: string, firstFile: string, firstLine: number): string {
  return `sourcedId "${id}" appears twice in this package (first at ${firstFile} line ${firstLine}); the first row is kept, remove the duplicate`;
}

/** A row whose record stays as it is (as {@link decide} would find it, without decoding either side). */
function unchanged(pe: PlanEntity, s: StagedRowAt, ctx: PlanContext): PlannedAction {
  const file = ctx.files[s.row.fileIndex] ?? pe.file;
  return action(s.key, pe.entity, s.id, "unchanged", s.row.warning === "" ? "SUCCESS" : "WARNING", file, s.row.line, s.row.warning);
}

function* walkDelta(ctx: PlanContext, pe: PlanEntity, rows: Iterator<MergedEntry>): Generator<PlannedAction> {
  for (const s of checked(ctx, pe, rows)) {
    if ("kept" in s) continue;
    if ("action" in s) {
      yield s;
      continue;
    }
    const text = ctx.store.recordTexts.get(recordKey(ctx.tenant, pe.entity, s.id));
    yield decide(pe, s, text !== undefined ? decodeRecord(text) : undefined, ctx);
  }
}

function decide(pe: PlanEntity, s: StagedRowAt, before: StoredRecord | undefined, ctx: PlanContext): PlannedAction {
  const { row, key, id } = s;
  const file = ctx.files[row.fileIndex] ?? pe.file;
  const ok: RowStatus = row.warning === "" ? "SUCCESS" : "WARNING";
  const e = pe.entity;
  if (row.op === "delete") {
    if (!before) return action(key, e, id, "skip", "WARNING", file, row.line, join(row.warning, "not in the store, nothing to delete"));
    if (before.status === "tobedeleted") return action(key, e, id, "unchanged", ok, file, row.line, row.warning, undefined, before);
    return action(key, e, id, "delete", ok, file, row.line, row.warning, { status: "tobedeleted", body: before.body }, before);
  }
  if (!before) {
    const at = { run: s.run, offset: s.raw.base + row.bodyStart, length: s.raw.end - row.bodyStart };
    return action(key, e, id, "create", ok, file, row.line, row.warning, { status: "active", staged: at });
  }
  const staged = bodyText(s);
  const body = row.keepBlank === "" ? staged : keepBlanks(e, before.body, staged, row.keepBlank);
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
