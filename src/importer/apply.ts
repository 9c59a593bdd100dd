/**
 * Apply: write a plan into the store in batched transactions.
 *
 * The plan walk leaves the changes it decided in a sorted plan file (the
 * job's `plan/` runs), so applying costs a read of the changes only, not a
 * second walk of the package and the store. A create's entry says where its
 * body is in the staged runs instead of holding a copy: a first import's
 * plan file is then a few bytes a row, not the whole district again. Each transaction carries a batch
 * of records, their change-log block, the before-images of what they
 * replace, and the checkpoint (the last key applied) — so a process killed at
 * any moment has done a batch entirely or not at all, and the apply resumes
 * after the checkpoint with the same outcome as if it had never stopped.
 *
 * @module
 */
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { appendChanges, type ChangeOp } from "../store/changes.ts";
import { recordKey, recordKeyPrefix, seqKey, undoKey } from "../store/keys.ts";
import { addCreated } from "../store/records.ts";
import { BATCH_TXN, type Store } from "../store/mod.ts";
import { decodeRecord, encodeRecord, recordHeaderTail, recordText, writeRecordHeader, type RecordStatus } from "../store/record.ts";
import { readSortedRuns, runFileName, RunWriter, type RawEntry } from "./_runs.ts";
import type { PlannedAction, StagedBody } from "./plan.ts";

const RS = "\x1e";

export interface Checkpoint {
  /** The plan key (entity · sourcedId) of the last change applied. */
  key: string;
  /** The tenant's change sequence after the last committed batch. */
  seq: number;
  /** Before-images written so far. */
  undo: number;
  /** Records changed so far. */
  changed: number;
}

export interface ApplyContext {
  store: Store;
  tenant: string;
  jobId: string;
  /** The job's staging folder (its `plan/` subfolder holds the plan file). */
  runsDir: string;
  /**
   * Changes per transaction. Scattered updates dirty a page each, and LMDB
   * holds a transaction's dirty pages in process memory: 5,000 keeps that
   * near 20 MB.
   */
  batchSize?: number;
  onProgress?: (changed: number) => void;
}

/** The key of a job's apply checkpoint in the `jobs` database. */
export function checkpointKey(jobId: string): string {
  return `${jobId}\x00cp`;
}

/**
 * Collects the changes of a plan walk, in key order, for {@link applyPlan}.
 *
 * @example const out = planWriter(runsDir); for (const a of walk) if (a.next) out.add(a.key, planEntry(a)); out.finish();
 */
export function planWriter(runsDir: string): RunWriter {
  return new RunWriter(join(runsDir, "plan"), true);
}

/**
 * One change as the plan file keeps it: action, new status, then either the
 * before-image (length-prefixed) and the new body, or for a create `@run,offset,length`:
 * where its body is in the staged runs, which stay until the job ends.
 */
export function planEntry(a: PlannedAction): string {
  const next = a.next!;
  if (next.staged) {
    if (a.before) throw new Error(`a planned ${a.action} of ${a.sourcedId} has a before-image and a staged body`);
    return a.action + RS + next.status + RS + "@" + next.staged.run + "," + next.staged.offset + "," + next.staged.length + RS;
  }
  const before = a.before ? recordText(a.before) : "";
  return a.action + RS + next.status + RS + before.length + RS + before + next.body!;
}

/**
 * Applies the plan from the job's checkpoint (or the start) to the end.
 * Returns how many records it changed in total, this run and earlier ones.
 *
 * @example
 * const changed = applyPlan({ store, tenant: "strata", jobId, runsDir: store.runsDir(jobId) });
 */
export function applyPlan(ctx: ApplyContext): number {
  const { store, tenant, jobId } = ctx;
  const batchSize = ctx.batchSize ?? 5_000;
  const saved = store.jobs.get(checkpointKey(jobId)) as Checkpoint | undefined;
  let seq = saved?.seq ?? ((store.meta.get(seqKey(tenant)) as number | undefined) ?? 0);
  let undo = saved?.undo ?? 0;
  let changed = saved?.changed ?? 0;
  const now = Date.now();
  const entries = readSortedRuns(join(ctx.runsDir, "plan"));
  let next = entries.next();
  if (saved) while (!next.done && keyText(next.value) <= saved.key) next = entries.next();
  const keyPrefix = recordKeyPrefix(tenant);
  const bytes = new RecordBytes(jobId, now);
  const staged = new StagedBodies(ctx.runsDir);
  try {
    while (!next.done) {
      store.env.transactionSync(() => {
        const firstSeq = seq + 1;
        const lines: string[] = [];
        // Creates counted per entity: keys come in entity order, so an entity name is cut once per run of its keys.
        const created = new Map<string, number>();
        let counting = "";
        let countingPrefix = "\x00";
        let inRun = 0;
        let lastKey = "";
        for (let n = 0; n < batchSize && !next.done; n++, next = entries.next()) {
          const e = next.value;
          const key = keyText(e);
          const p = parseEntry(e, key);
          seq++;
          lines.push(key + "\x00" + p.action);
          lastKey = key;
          if (p.action === "create") {
            if (!key.startsWith(countingPrefix)) {
              if (inRun > 0) created.set(counting, (created.get(counting) ?? 0) + inRun);
              counting = key.slice(0, key.indexOf("\x00"));
              countingPrefix = counting + "\x00";
              inRun = 0;
            }
            inRun++;
          }
          if (p.staged) {
            // A create: its body goes from the staged run to the store as bytes.
            store.records.putSync(keyPrefix + key, bytes.value(seq, p.status, staged.read(p.staged)));
            continue;
          }
          if (p.beforeLength === 0) {
            // No before-image (a create planned by an older build): the body follows in the plan file.
            store.records.putSync(keyPrefix + key, bytes.value(seq, p.status, e.buf.subarray(p.bodyStart, e.end)));
            continue;
          }
          const value = e.buf.toString("utf8", p.bodyStart, e.end);
          const cut = key.indexOf("\x00");
          const entity = key.slice(0, cut);
          const sourcedId = key.slice(cut + 1);
          // The before-image's length counts UTF-16 units (planEntry measures the string).
          const before = decodeRecord(value.slice(0, p.beforeLength));
          store.recordTexts.putSync(recordKey(tenant, entity, sourcedId), recordText({ seq, job: jobId, modifiedAt: now, status: p.status, body: value.slice(p.beforeLength) }));
          store.undo.putSync(undoKey(jobId, undo++), Buffer.concat([Buffer.from(`${entity}\x00${sourcedId}\x00`), encodeRecord(before)]));
        }
        appendChanges(store, tenant, firstSeq, lines);
        if (inRun > 0) created.set(counting, (created.get(counting) ?? 0) + inRun);
        for (const [entity, added] of created) addCreated(store, tenant, entity, added);
        changed += lines.length;
        store.meta.putSync(seqKey(tenant), seq);
        const cp: Checkpoint = { key: lastKey, seq, undo, changed };
        store.jobs.putSync(checkpointKey(jobId), cp);
      }, BATCH_TXN);
      ctx.onProgress?.(changed);
    }
  } finally {
    staged.close();
  }
  return changed;
}

function keyText(e: RawEntry): string {
  return e.buf.toString("utf8", e.keyStart, e.valueStart);
}

interface ParsedEntry {
  action: ChangeOp;
  status: RecordStatus;
  beforeLength: number;
  /** Where the before-image (if any) and then the new body start in the entry's buffer. */
  bodyStart: number;
  /** A create's body, in the staged runs. */
  staged?: StagedBody;
}

const ACTIONS: readonly ChangeOp[] = ["create", "update", "delete"];
const STATUSES: readonly RecordStatus[] = ["active", "tobedeleted"];
const RS_BYTE = 0x1e;

/** Which of `words` the ASCII bytes `buf[start, end)` spell (one row's action or status: no string made for it). */
function wordAt<W extends string>(buf: Buffer, start: number, end: number, words: readonly W[]): W | undefined {
  next: for (const w of words) {
    if (w.length !== end - start) continue;
    for (let i = 0; i < w.length; i++) if (buf[start + i] !== w.charCodeAt(i)) continue next;
    return w;
  }
  return undefined;
}

/** The head of a plan entry ({@link planEntry}): action RS status RS (before-length | @run,offset,length) RS. */
function parseEntry(e: RawEntry, key: string): ParsedEntry {
  const buf = e.buf;
  let a = e.valueStart;
  while (a < e.end && buf[a] !== RS_BYTE) a++;
  let b = a + 1;
  while (b < e.end && buf[b] !== RS_BYTE) b++;
  const ref = buf[b + 1] === 0x40;
  // Digits of the before-length, or the staged body's three numbers after "@".
  let n0 = 0, n1 = 0, n2 = 0, count = 1;
  let digits = true;
  let c = ref ? b + 2 : b + 1;
  for (; c < e.end && buf[c] !== RS_BYTE; c++) {
    if (ref && buf[c] === 0x2c) {
      count++;
      continue;
    }
    const d = buf[c]! - 48;
    digits &&= d >= 0 && d <= 9;
    if (count === 1) n0 = n0 * 10 + d;
    else if (count === 2) n1 = n1 * 10 + d;
    else n2 = n2 * 10 + d;
  }
  const action = wordAt(buf, e.valueStart, a, ACTIONS);
  const status = wordAt(buf, a + 1, b, STATUSES);
  if (c >= e.end || !action || !status || !digits || c === b + 1 || count !== (ref ? 3 : 1) || (ref && c + 1 !== e.end)) {
    throw new Error(`the job's plan file is damaged at ${key.replace("\x00", " ")}; cancel the job and import the files again`);
  }
  if (ref) return { action, status, beforeLength: 0, bodyStart: c + 1, staged: { run: n0, offset: n1, length: n2 } };
  return { action, status, beforeLength: n0, bodyStart: c + 1 };
}

/**
 * Bodies read back from the staged runs, in the order the plan names them:
 * within one run that is file order (a run is sorted, the plan is its merge),
 * so each run is read forwards through a buffer of its own.
 */
class StagedBodies {
  #runs = new Map<number, { fd: number; buf: Buffer; start: number; end: number }>();

  constructor(readonly dir: string) {}

  read(at: StagedBody): Buffer {
    let r = this.#runs.get(at.run);
    if (!r) this.#runs.set(at.run, (r = { fd: openSync(join(this.dir, runFileName(at.run)), "r"), buf: Buffer.allocUnsafe(64 * 1024), start: 0, end: 0 }));
    if (at.offset < r.start || at.offset + at.length > r.end) {
      if (at.length > r.buf.length) r.buf = Buffer.allocUnsafe(at.length);
      const n = readSync(r.fd, r.buf, 0, r.buf.length, at.offset);
      r.start = at.offset;
      r.end = at.offset + n;
      if (n < at.length) throw new Error(`staging run ${runFileName(at.run)} is cut short; the job must be staged again`);
    }
    return r.buf.subarray(at.offset - r.start, at.offset - r.start + at.length);
  }

  close(): void {
    for (const r of this.#runs.values()) closeSync(r.fd);
    this.#runs.clear();
  }
}

/** Record values written into one reused buffer (lmdb copies it in the put): no string, and no Buffer, made per record. */
class RecordBytes {
  #value = Buffer.allocUnsafe(64 * 1024);
  readonly #tails: Record<RecordStatus, Buffer>;

  constructor(job: string, modifiedAt: number) {
    this.#tails = { active: Buffer.from(recordHeaderTail(job, modifiedAt, "active")), tobedeleted: Buffer.from(recordHeaderTail(job, modifiedAt, "tobedeleted")) };
  }

  /** A record: the header, then the body's bytes. */
  value(seq: number, status: RecordStatus, body: Uint8Array): Buffer {
    const tail = this.#tails[status];
    const length = 16 + tail.length + body.length;
    if (length > this.#value.length) this.#value = Buffer.allocUnsafe(length * 2);
    const h = writeRecordHeader(this.#value, seq, tail);
    this.#value.set(body, h);
    return this.#value.subarray(0, h + body.length);
  }
}
