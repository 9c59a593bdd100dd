/**
 * Apply: write a plan into the store in batched transactions.
 *
 * The plan walk leaves the changes it decided in a sorted plan file (the
 * job's `plan/` runs), so applying costs a read of the changes only, not a
 * second walk of the package and the store. A create's entry says where its
 * body is in the staged runs instead of holding a copy: a first import's
 * plan file is then a few bytes a row, not the whole district again. Each transaction carries a batch
 * of records, their change-log block, the before-images of what they
 * replace, the record counts and the checkpoint (the last key applied) — so
 * a process killed at any moment has done a batch entirely or not at all,
 * and the apply resumes after the checkpoint with the same outcome as if it
 * had never stopped. The transactions are lmdb's queued ones, committed on
 * its write thread while the next batch is read ({@link applyPlan}).
 *
 * @module
 */
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { setImmediate } from "node:timers";
import { appendChanges, type ChangeOp } from "../store/changes.ts";
import { recordKey, recordKeyPrefix, seqKey, undoKey } from "../store/keys.ts";
import { CreatedCounts } from "../store/records.ts";
import type { Store } from "../store/mod.ts";
import { decodeRecord, encodeRecord, recordHeaderTail, recordText, writeRecordHeader, type RecordStatus } from "../store/record.ts";
import { readSortedRuns, runFileName, RunWriter, type RawEntry } from "./_runs.ts";
import { fullGc } from "./_full-gc.ts";
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

/** Batches between full garbage collections: lmdb's queued writes leave garbage V8 only frees in one (`_full-gc.ts`). */
const BATCHES_PER_GC = 50;

/**
 * Applies the plan from the job's checkpoint (or the start) to the end.
 * Resolves to how many records it changed in total, this run and earlier ones.
 *
 * A batch's writes are queued with lmdb's asynchronous puts in one event
 * turn, which lmdb commits as one transaction on its own write thread: the
 * B-tree work and the commit run beside the reading of the next batch, on
 * the second core (a first import's apply spent half its time in them). The
 * next batch is queued only once the one before has committed: lmdb lets
 * writes queued behind a running transaction join it, and a transaction's
 * dirty pages are held in memory (three batches of scattered updates took a
 * 1M-student re-import to 210 MiB). A batch is read and checked whole before
 * its first write is queued, so a damaged entry leaves nothing of its batch;
 * the batches before it commit.
 *
 * @example
 * const changed = await applyPlan({ store, tenant: "strata", jobId, runsDir: store.runsDir(jobId) });
 */
export async function applyPlan(ctx: ApplyContext): Promise<number> {
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
  const counts = new CreatedCounts(store, tenant);
  /** The batch queued last, until it is known to be committed. */
  let queued: { committed: Promise<unknown>; slabs: Buffer[] } | undefined;
  const batch = new Batch();
  let batches = 0;
  try {
    while (!next.done) {
      batch.clear();
      const firstSeq = seq + 1;
      // Creates counted per entity: keys come in entity order, so an entity name is cut once per run of its keys.
      let counting = "";
      let countingPrefix = "\x00";
      let inRun = 0;
      let lastKey = "";
      for (let n = 0; n < batchSize && !next.done; n++, next = entries.next()) {
        const e = next.value;
        const key = keyText(e);
        const p = parseEntry(e, key);
        seq++;
        batch.lines.push(key + "\x00" + p.action);
        lastKey = key;
        if (p.action === "create") {
          if (!key.startsWith(countingPrefix)) {
            if (inRun > 0) batch.created.set(counting, (batch.created.get(counting) ?? 0) + inRun);
            counting = key.slice(0, key.indexOf("\x00"));
            countingPrefix = counting + "\x00";
            inRun = 0;
          }
          inRun++;
        }
        if (p.staged) {
          // A create: its body goes from the staged run to the store as bytes.
          batch.record(keyPrefix + key, bytes.value(seq, p.status, staged.read(p.staged)));
          continue;
        }
        if (p.beforeLength === 0) {
          // No before-image (a create planned by an older build): the body follows in the plan file.
          batch.record(keyPrefix + key, bytes.value(seq, p.status, e.buf.subarray(p.bodyStart, e.end)));
          continue;
        }
        const value = e.buf.toString("utf8", p.bodyStart, e.end);
        const cut = key.indexOf("\x00");
        const entity = key.slice(0, cut);
        const sourcedId = key.slice(cut + 1);
        // The before-image's length counts UTF-16 units (planEntry measures the string).
        const before = decodeRecord(value.slice(0, p.beforeLength));
        batch.record(recordKey(tenant, entity, sourcedId), encodeRecord({ seq, job: jobId, modifiedAt: now, status: p.status, body: value.slice(p.beforeLength) }));
        batch.undo.push([undoKey(jobId, undo++), Buffer.concat([Buffer.from(`${entity}\x00${sourcedId}\x00`), encodeRecord(before)])]);
      }
      if (inRun > 0) batch.created.set(counting, (batch.created.get(counting) ?? 0) + inRun);
      changed += batch.lines.length;
      if (queued) bytes.returnSlabs(await settle(queued));
      queued = undefined;
      // Queued in one stretch, with no await: lmdb commits the writes of one event turn together.
      for (let i = 0; i < batch.keys.length; i++) void store.records.put(batch.keys[i]!, batch.values[i]!);
      for (const [key, image] of batch.undo) void store.undo.put(key, image);
      appendChanges(store, tenant, firstSeq, batch.lines);
      for (const [entity, added] of batch.created) counts.add(entity, added);
      void store.meta.put(seqKey(tenant), seq);
      const cp: Checkpoint = { key: lastKey, seq, undo, changed };
      queued = { committed: store.jobs.put(checkpointKey(jobId), cp), slabs: bytes.takeSlabs() };
      await endOfTurn();
      if (++batches % BATCHES_PER_GC === 0) fullGc();
      ctx.onProgress?.(changed);
    }
    if (queued) await queued.committed;
  } finally {
    staged.close();
    // Failing, too: nothing after the apply (the job's end) may commit before its batches.
    await queued?.committed.catch(() => undefined);
  }
  return changed;
}

/** Lets the event turn end, so that lmdb commits the batch queued in it (it ends a turn's batch with `setImmediate`). */
function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits for a queued batch to commit; returns its slabs, free again. */
async function settle(b: { committed: Promise<unknown>; slabs: Buffer[] }): Promise<Buffer[]> {
  await b.committed;
  return b.slabs;
}

/** One batch's writes, gathered before the first is queued. */
class Batch {
  keys: string[] = [];
  values: Buffer[] = [];
  undo: [string, Buffer][] = [];
  lines: string[] = [];
  created = new Map<string, number>();

  record(key: string, value: Buffer): void {
    this.keys.push(key);
    this.values.push(value);
  }

  clear(): void {
    this.keys.length = 0;
    this.values.length = 0;
    this.undo.length = 0;
    this.lines = [];
    this.created.clear();
  }
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

/** Bytes of a slab: a batch's record values are written one after another into slabs this size. */
const SLAB_BYTES = 1024 * 1024;

/**
 * Record values written into slabs, with no string and no Buffer made per
 * record. lmdb's queued put reads a value where it lies when its write
 * thread gets to it, so a slab is written again only after the batch that
 * used it has committed ({@link takeSlabs}, {@link returnSlabs}).
 */
class RecordBytes {
  readonly #tails: Record<RecordStatus, Buffer>;
  #free: Buffer[] = [];
  #used: Buffer[] = [];
  #slab: Buffer | undefined;
  #at = 0;

  constructor(job: string, modifiedAt: number) {
    this.#tails = { active: Buffer.from(recordHeaderTail(job, modifiedAt, "active")), tobedeleted: Buffer.from(recordHeaderTail(job, modifiedAt, "tobedeleted")) };
  }

  /** A record: the header, then the body's bytes. */
  value(seq: number, status: RecordStatus, body: Uint8Array): Buffer {
    const tail = this.#tails[status];
    // A sequence number has at most 16 digits.
    const length = 16 + tail.length + body.length;
    if (this.#slab === undefined || this.#at + length > this.#slab.length) this.#nextSlab(length);
    const slab = this.#slab!;
    const start = this.#at;
    const h = writeRecordHeader(slab, seq, tail, start);
    slab.set(body, start + h);
    this.#at = start + h + body.length;
    return slab.subarray(start, this.#at);
  }

  /** The slabs written since the last call: they must stay as they are until their batch commits. */
  takeSlabs(): Buffer[] {
    const used = this.#used;
    this.#used = [];
    this.#slab = undefined;
    return used;
  }

  /** Slabs of a committed batch, to be written again. */
  returnSlabs(slabs: Buffer[]): void {
    for (const s of slabs) if (s.length === SLAB_BYTES) this.#free.push(s);
  }

  #nextSlab(length: number): void {
    const slab = length <= SLAB_BYTES ? (this.#free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES)) : Buffer.allocUnsafeSlow(length);
    this.#used.push(slab);
    this.#slab = slab;
    this.#at = 0;
  }
}
