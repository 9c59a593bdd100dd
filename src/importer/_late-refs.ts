/**
 * References settled late: a row that points at an entity whose rows are
 * still arriving (a self-reference such as an org's parent, or IMS XML that
 * lists memberships before persons) is staged, and its reference is kept in
 * the job's staging database until the whole package is read. Then each is
 * answered; a row whose reference never arrived is rejected, and the plan
 * reports it as an ERROR (`plan.ts` reads the rejection).
 *
 * @module
 */
import type { Database } from "lmdb";
import type { EntityName } from "../model/entities.ts";
import { clip, type RowRef } from "../model/validate.ts";
import { PENDING_RANGE, pendingKey, rejectedKey, stagedKey } from "../store/keys.ts";

/**
 * The references of staged rows that wait for the end of the package.
 *
 * @example
 * const late = new LateRefs(staging);
 * late.add("orgs", "s1", { field: "parentSourcedId", entity: "orgs", id: "d1" });
 * const rejected = store.env.transactionSync(() => late.settle((entity, id) => ids.has(entity, id)));
 */
export class LateRefs {
  #next = 0;

  constructor(readonly staging: Database<Buffer, string>) {}

  /** Keeps `ref` of the staged row `entity` `sourcedId` until {@link settle}. */
  add(entity: string, sourcedId: string, ref: RowRef): void {
    this.staging.putSync(pendingKey(this.#next++), Buffer.from([entity, sourcedId, ref.field, ref.entity, ref.id].join("\x00")));
  }

  /**
   * Answers every kept reference with `exists` and rejects the rows whose
   * reference is not there (once per row, with the first missing reference);
   * returns how many rows were rejected. Run it in a write transaction.
   */
  settle(exists: (entity: EntityName, id: string) => boolean): number {
    let rejected = 0;
    for (const { key, value } of this.staging.getRange(PENDING_RANGE)) {
      const [entity, sourcedId, field, refEntity, refId] = Buffer.from(value).toString("utf8").split("\x00") as [string, string, string, EntityName, string];
      this.staging.removeSync(key);
      if (exists(refEntity, refId)) continue;
      const reject = rejectedKey(stagedKey(entity, sourcedId));
      if (this.staging.getBinary(reject)) continue;
      this.staging.putSync(reject, Buffer.from(refMessage({ field, entity: refEntity, id: refId })));
      rejected++;
    }
    return rejected;
  }
}

/** What a row is told when its reference resolves nowhere. */
export function refMessage(ref: RowRef): string {
  return `${ref.field}: ${ref.entity} "${clip(ref.id)}" is not in this package nor in the store; add it to ${ref.entity} or correct the reference`;
}
