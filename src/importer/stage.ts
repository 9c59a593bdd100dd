/**
 * Stage: the first pass over a submission. Every row is checked (fields,
 * then references against the package and the store) and the good ones are
 * written, sorted, into the job's run files (`_runs.ts`) for the plan. Bad
 * rows become ERROR results and are skipped; nothing in the store changes.
 *
 * References are answered from compact id sets of the package's referenced
 * entities (`_idset.ts`), falling back to the store; a reference to an
 * entity whose rows are still arriving (a self-reference, or XML that lists
 * memberships before persons) is settled at the end.
 *
 * @module
 */
import type { Database } from "lmdb";
import { ENTITIES, KEY_REFS, type EntityName } from "../model/entities.ts";
import { validatorFor, clip, type RowCheck, type RowRef } from "../model/validate.ts";
import { encodeBody, decodeRecord } from "../store/record.ts";
import { PENDING_RANGE, pendingKey, recordKey, rejectedKey, stagedKey } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import type { FileMode, SourceEvent, SourceRow, SourceStream } from "../formats/types.ts";
import { countsOf, type CountsByEntity } from "./counts.ts";
import type { ResultsWriter } from "./results.ts";
import { encodeStaged } from "./_staged.ts";
import { IdSet } from "./_idset.ts";
import { RunWriter } from "./_runs.ts";

export interface StageContext {
  store: Store;
  /** The job's LMDB scratch database: references settled late, rows rejected late. */
  staging: Database<Buffer, string>;
  /** The job's folder for run files. */
  runsDir: string;
  tenant: string;
  results: ResultsWriter;
  counts: CountsByEntity;
  /** Called now and then with the number of rows read so far. */
  onProgress?: (rows: number) => void;
}

export interface StageOutcome {
  /** Data rows read (good and bad). */
  rows: number;
  /** Files in the order they arrived; staged rows refer to them by index. */
  files: string[];
  /** Each entity the package supplies, in arrival order, with its mode and file. */
  entities: { entity: string; mode: FileMode; file: string }[];
  /** Rows staged but rejected at the end (a reference that never arrived). */
  rejected: number;
}

/** Entities some field points at: only these need an id set. */
const REFERENCED = new Set<string>([
  ...Object.values(ENTITIES).flatMap((e) => e.fields.map((f) => f.ref).filter((r): r is EntityName => r !== undefined)),
  ...Object.values(KEY_REFS),
]);

/**
 * Reads the whole submission into the job's runs.
 *
 * @example
 * const outcome = await stagePackage(ctx, openSource("oneroster-csv", ["/srv/drop/oneroster"]));
 */
export async function stagePackage(ctx: StageContext, source: SourceStream): Promise<StageOutcome> {
  const stage = new Stager(ctx);
  ctx.onProgress?.(0);
  let reported = 0;
  for await (const batch of source) {
    for (const event of batch) stage.take(event);
    if (stage.rows - reported >= 50_000) {
      reported = stage.rows;
      ctx.onProgress?.(stage.rows);
    }
  }
  stage.runs.finish();
  const rejected = ctx.store.env.transactionSync(() => stage.settlePending());
  ctx.onProgress?.(stage.rows);
  return { rows: stage.rows, files: stage.files, entities: stage.entities, rejected };
}

class Stager {
  rows = 0;
  files: string[] = [];
  entities: StageOutcome["entities"] = [];
  readonly runs: RunWriter;
  #modes = new Map<string, FileMode>();
  /** Entities whose file is still arriving: a reference to them may be answered later. */
  #open = new Set<string>();
  #currentFile = "";
  #currentFileIndex = -1;
  #ids = new Map<string, IdSet>();
  #pending = 0;
  #check: RowCheck = { errors: [], warnings: [] };
  #refs: RowRef[] = [];

  constructor(readonly ctx: StageContext) {
    this.runs = new RunWriter(ctx.runsDir);
  }

  take(event: SourceEvent): void {
    switch (event.kind) {
      case "file":
        if (event.file !== this.#currentFile) {
          this.#open.clear();
          this.#currentFile = event.file;
          if (!this.files.includes(event.file)) this.files.push(event.file);
          this.#currentFileIndex = this.files.indexOf(event.file);
        }
        if (!this.#modes.has(event.entity)) this.#modes.set(event.entity, event.mode);
        this.#open.add(event.entity);
        this.entities.push({ entity: event.entity, mode: event.mode, file: event.file });
        countsOf(this.ctx.counts, event.entity);
        return;
      case "issue": {
        const c = countsOf(this.ctx.counts, event.entity);
        if (event.severity === "ERROR") {
          // An adapter's ERROR is a row it could not read: count it as a row.
          c.errors++;
          this.rows++;
        } else c.warnings++;
        this.ctx.results.write({
          file: event.file, line: event.line, entity: event.entity, sourcedId: event.sourcedId,
          action: "skip", status: event.severity, message: event.message,
        });
        return;
      }
      case "row":
        this.rows++;
        this.#row(event);
    }
  }

  #row(row: SourceRow): void {
    const { entity, fields } = row;
    const check = this.#check;
    check.errors.length = 0;
    check.warnings.length = 0;
    const refs = this.#refs;
    refs.length = 0;
    validatorFor(entity).check(fields, check, refs);
    const sourcedId = fields.sourcedId ?? "";
    const deleting = fields.status === "tobedeleted" || row.op === "delete";
    const keyRef = KEY_REFS[entity as EntityName];
    if (keyRef && sourcedId !== "" && check.errors.length === 0) refs.push({ field: "sourcedId", entity: keyRef, id: sourcedId });
    // A row that deletes needs no references: what it pointed at may be going too.
    if (deleting) refs.length = 0;
    let deferred: RowRef[] | undefined;
    for (const ref of refs) {
      const found = this.#resolve(ref.entity, ref.id);
      if (found === "yes") continue;
      if (found === "later") (deferred ??= []).push(ref);
      else check.errors.push(refMessage(ref));
    }
    const counts = countsOf(this.ctx.counts, entity);
    if (check.errors.length > 0) {
      counts.errors++;
      this.ctx.results.write({ file: row.file, line: row.line, entity, sourcedId, action: "skip", status: "ERROR", message: check.errors.join("; ") });
      return;
    }
    if (check.warnings.length > 0) counts.warnings++;
    this.runs.add(stagedKey(entity, sourcedId), encodeStaged({
      fileIndex: this.#currentFileIndex,
      line: row.line,
      op: deleting ? "delete" : "upsert",
      keepBlank: row.keepBlank?.join(",") ?? "",
      warning: check.warnings.join("; "),
      status: deleting ? "tobedeleted" : "active",
      body: encodeBody(entity, fields),
    }));
    if (!deleting && REFERENCED.has(entity)) this.#idsOf(entity).add(sourcedId);
    if (deferred) {
      for (const ref of deferred) {
        this.ctx.staging.putSync(pendingKey(this.#pending++), Buffer.from([entity, sourcedId, ref.field, ref.entity, ref.id].join("\x00")));
      }
    }
  }

  #idsOf(entity: string): IdSet {
    let ids = this.#ids.get(entity);
    if (!ids) this.#ids.set(entity, (ids = new IdSet()));
    return ids;
  }

  /**
   * Whether `entity` `id` exists for this package: staged and not being
   * deleted, or active in the store and not about to be deleted by a bulk
   * file of its entity. "later" when its rows are still arriving.
   */
  #resolve(entity: string, id: string): "yes" | "no" | "later" {
    const ids = this.#idsOf(entity);
    if (ids.has(id)) return "yes";
    if (this.#modes.get(entity) !== "bulk") {
      const stored = this.ctx.store.records.getBinary(recordKey(this.ctx.tenant, entity, id));
      if (stored !== undefined && decodeRecord(stored).status === "active") {
        // Remembered, so that the next million references to it cost no read.
        ids.add(id);
        return "yes";
      }
    }
    return this.#open.has(entity) ? "later" : "no";
  }

  /** Settles the references that pointed at rows still arriving; a row whose reference never arrived is rejected. */
  settlePending(): number {
    this.#open.clear();
    let rejected = 0;
    for (const { key, value } of this.ctx.staging.getRange(PENDING_RANGE)) {
      const [entity, sourcedId, field, refEntity, refId] = Buffer.from(value).toString("utf8").split("\x00") as [string, string, string, EntityName, string];
      this.ctx.staging.removeSync(key);
      if (this.#resolve(refEntity, refId) === "yes") continue;
      const reject = rejectedKey(stagedKey(entity, sourcedId));
      if (this.ctx.staging.getBinary(reject)) continue;
      this.ctx.staging.putSync(reject, Buffer.from(refMessage({ field, entity: refEntity, id: refId })));
      rejected++;
    }
    return rejected;
  }
}

function refMessage(ref: RowRef): string {
  return `${ref.field}: ${ref.entity} "${clip(ref.id)}" is not in this package nor in the store; add it to ${ref.entity} or correct the reference`;
}
