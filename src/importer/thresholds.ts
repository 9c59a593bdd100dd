/**
 * Change thresholds: the gate between a plan and its apply. A bulk file cut
 * short by a failed export looks, to a naive importer, like an instruction
 * to delete most of a district; a plan that crosses a threshold is held for
 * a person to approve instead.
 *
 * @module
 */

/** A limit as a share of the entity's active records, an absolute count, or both. */
export interface Limit {
  /** Hold when more than this percentage of the active records would change. */
  percent?: number;
  /** Hold when more than this many records would change. */
  count?: number;
}

export interface Thresholds {
  deletes: Limit;
  updates: Limit;
  /** Per-entity overrides, e.g. `{ enrollments: { deletes: { percent: 30 } } }`. */
  entities?: Record<string, Partial<Pick<Thresholds, "deletes" | "updates">>>;
}

/** Protects without any configuration: >20 % deleted or >75 % updated holds the job. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  deletes: { percent: 20 },
  updates: { percent: 75 },
};

/**
 * Reads a limit written as `"10%"` or `"500"`.
 *
 * @example parseLimit("10%") // { percent: 10 }
 */
export function parseLimit(text: string): Limit {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (m) return { percent: Number(m[1]) };
  if (/^\d+$/.test(t)) return { count: Number(t) };
  throw new Error(`"${text}" is not a threshold: write a percentage like "10%" or a count like "500"`);
}

export interface EntityPlanCounts {
  /**
   * The entity's active records before the plan: records marked
   * tobedeleted are left out, or every bulk file would be judged against
   * all the deletes of the years before it, and a cut-short one let through.
   */
  existing: number;
  deleted: number;
  updated: number;
}

/**
 * Says why a plan must be held, one sentence per entity over a limit, or
 * nothing when it may be applied.
 *
 * @example
 * breaches({ enrollments: { existing: 1000, deleted: 900, updated: 0 } }, DEFAULT_THRESHOLDS)
 * // ["enrollments: 900 of 1000 records (90.0%) would be deleted; the limit is 20%"]
 */
export function breaches(plan: Record<string, EntityPlanCounts>, thresholds: Thresholds): string[] {
  const out: string[] = [];
  for (const [entity, c] of Object.entries(plan)) {
    const own = thresholds.entities?.[entity];
    check(entity, c.deleted, c.existing, own?.deletes ?? thresholds.deletes, "deleted", out);
    check(entity, c.updated, c.existing, own?.updates ?? thresholds.updates, "updated", out);
  }
  return out;
}

function check(entity: string, n: number, existing: number, limit: Limit, verb: string, out: string[]): void {
  if (n === 0) return;
  if (limit.count !== undefined && n > limit.count) {
    out.push(`${entity}: ${n} records would be ${verb}; the limit is ${limit.count}`);
    return;
  }
  if (limit.percent !== undefined && existing > 0) {
    const share = (100 * n) / existing;
    if (share > limit.percent) {
      out.push(`${entity}: ${n} of ${existing} records (${share.toFixed(1)}%) would be ${verb}; the limit is ${limit.percent}%`);
    }
  }
}
