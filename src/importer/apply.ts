/**
 * Apply: write a plan into the store in batched transactions.
 *
 * Each transaction carries a batch of records, their change-log entries,
 * the before-images of what they replace, and the checkpoint (the last key
 * walked) — so a process killed at any moment has either done a batch
 * entirely or not at all, and the walk resumes after the checkpoint with the
 * same outcome as if it had never stopped.
 *
 * @module
 */
import { appendChanges, changeLine, type ChangeOp } from "../store/changes.ts";
import { recordKey, seqKey, undoKey } from "../store/keys.ts";
import { BATCH_TXN } from "../store/mod.ts";
import { encodeRecord } from "../store/record.ts";
import { walkPlan, type PlanContext, type PlannedAction } from "./plan.ts";

export interface Checkpoint {
  /** The plan key (entity · sourcedId) of the last row walked. */
  key: string;
  /** The tenant's change sequence after the last committed batch. */
  seq: number;
  /** Before-images written so far. */
  undo: number;
  /** Records changed so far. */
  changed: number;
}

export interface ApplyContext extends PlanContext {
  jobId: string;
  /** Records walked per transaction. */
  batchSize?: number;
  onProgress?: (changed: number) => void;
}

/** The key of a job's apply checkpoint in the `jobs` database. */
export function checkpointKey(jobId: string): string {
  return `${jobId}\x00cp`;
}

/**
 * Applies the plan from the job's checkpoint (or the start) to the end.
 * Returns how many records it changed in total, this run and earlier ones.
 *
 * @example
 * const changed = applyPlan({ ...planContext, jobId: "20261124-0001" });
 */
export function applyPlan(ctx: ApplyContext): number {
  const { store, tenant, jobId } = ctx;
  const batchSize = ctx.batchSize ?? Number(process.env.RB_BATCH ?? 20_000);
  const saved = store.jobs.get(checkpointKey(jobId)) as Checkpoint | undefined;
  let seq = saved?.seq ?? ((store.meta.get(seqKey(tenant)) as number | undefined) ?? 0);
  let undo = saved?.undo ?? 0;
  let changed = saved?.changed ?? 0;
  const batch: PlannedAction[] = [];
  let last: PlannedAction | undefined;
  const now = Date.now();

  const commit = () => {
    if (!last) return;
    const position = last;
    store.env.transactionSync(() => {
      const firstSeq = seq + 1;
      const lines: string[] = [];
      for (const a of batch) {
        seq++;
        const key = recordKey(tenant, a.entity, a.sourcedId);
        store.records.putSync(key, encodeRecord({ seq, job: jobId, modifiedAt: now, status: a.next!.status, body: a.next!.body }));
        lines.push(changeLine(a.entity, a.sourcedId, a.action as ChangeOp));
        if (a.before) {
          store.undo.putSync(undoKey(jobId, undo++), Buffer.concat([Buffer.from(`${a.entity}\x00${a.sourcedId}\x00`), encodeRecord(a.before)]));
        }
      }
      appendChanges(store, tenant, firstSeq, lines);
      changed += batch.length;
      store.meta.putSync(seqKey(tenant), seq);
      const cp: Checkpoint = { key: position.key, seq, undo, changed };
      store.jobs.putSync(checkpointKey(jobId), cp);
    }, BATCH_TXN);
    batch.length = 0;
    ctx.onProgress?.(changed);
  };

  let walked = 0;
  for (const action of walkPlan(ctx, saved?.key)) {
    last = action;
    if (action.next) batch.push(action);
    if (++walked % batchSize === 0) commit();
  }
  commit();
  return changed;
}
