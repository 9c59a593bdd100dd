/**
 * What a job counts, per entity and in total.
 *
 * @module
 */

import type { EntityCountsRecord } from "../store/jobs.ts";

/** What happened to one entity's rows (kept in the job record as is). */
export type EntityCounts = EntityCountsRecord;

export type CountsByEntity = Record<string, EntityCounts>;

export function emptyCounts(): EntityCounts {
  return { created: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 };
}

/** The counts of `entity`, created on first use. */
export function countsOf(all: CountsByEntity, entity: string): EntityCounts {
  return (all[entity] ??= emptyCounts());
}

/** Sums every entity's counts. */
export function totals(all: CountsByEntity): EntityCounts {
  const t = emptyCounts();
  for (const c of Object.values(all)) {
    t.created += c.created;
    t.updated += c.updated;
    t.deleted += c.deleted;
    t.unchanged += c.unchanged;
    t.errors += c.errors;
    t.warnings += c.warnings;
  }
  return t;
}
