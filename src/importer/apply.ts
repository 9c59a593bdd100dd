/**
 * Apply: write a plan into the store in batched transactions.
 *
 * The plan walk leaves the changes it decided in a sorted plan file (the
 * job's `plan/` runs), so applying costs a read of the changes only, not a
 * second walk of the package and the store. Each transaction carries a batch
 * of records, their change-log block, the before-images of what they
 * replace, and the checkpoint (the last key applied) — so a process killed at
 * any moment has done a batch entirely or not at all, and the apply resumes
 * after the checkpoint with the same outcome as if it had never stopped.
 *
 * @module
 */
import { join } from "node:path";
import { appendChanges, changeLine, type ChangeOp } from "../store/changes.ts";
import { recordKey, seqKey, undoKey } from "../store/keys.ts";
import { BATCH_TXN, type Store } from "../store/mod.ts";
import { decodeRecord, encodeRecord, recordText, type RecordStatus } from "../store/record.ts";
import { mergeRuns, RunWriter } from "./_runs.ts";
import type { PlannedAction } from "./plan.ts";

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

/** One change as the plan file keeps it: action, new status, the before-image (length-prefixed), new body. */
export function planEntry(a: PlannedAction): string {
  const before = a.before ? recordText(a.before) : "";
  return a.action + RS + a.next!.status + RS + before.length + RS + before + a.next!.body;
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
  let batch: { key: string; value: string }[] = [];

  const commit = () => {
    if (batch.length === 0) return;
    store.env.transactionSync(() => {
      const firstSeq = seq + 1;
      const lines: string[] = [];
      for (const { key, value } of batch) {
        const cut = key.indexOf("\x00");
        const entity = key.slice(0, cut);
        const sourcedId = key.slice(cut + 1);
        const a = value.indexOf(RS);
        const b = value.indexOf(RS, a + 1);
        const c = value.indexOf(RS, b + 1);
        const beforeLength = Number(value.slice(b + 1, c));
        const action = value.slice(0, a) as ChangeOp;
        seq++;
        const body = value.slice(c + 1 + beforeLength);
        store.recordTexts.putSync(recordKey(tenant, entity, sourcedId), recordText({ seq, job: jobId, modifiedAt: now, status: value.slice(a + 1, b) as RecordStatus, body }));
        lines.push(changeLine(entity, sourcedId, action));
        if (beforeLength > 0) {
          const before = decodeRecord(value.slice(c + 1, c + 1 + beforeLength));
          store.undo.putSync(undoKey(jobId, undo++), Buffer.concat([Buffer.from(`${entity}\x00${sourcedId}\x00`), encodeRecord(before)]));
        }
      }
      appendChanges(store, tenant, firstSeq, lines);
      changed += batch.length;
      store.meta.putSync(seqKey(tenant), seq);
      const cp: Checkpoint = { key: batch[batch.length - 1]!.key, seq, undo, changed };
      store.jobs.putSync(checkpointKey(jobId), cp);
    }, BATCH_TXN);
    batch = [];
    ctx.onProgress?.(changed);
  };

  for (const entry of mergeRuns(join(ctx.runsDir, "plan"))) {
    if (saved && entry.key <= saved.key) continue;
    batch.push(entry);
    if (batch.length >= batchSize) commit();
  }
  commit();
  return changed;
}
