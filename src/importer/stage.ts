/**
 * Stage: the first pass over a submission. Every row is checked (fields,
 * then references against the package and the store) and the good ones are
 * written into the job's staging database, keyed so that LMDB sorts them for
 * the plan. Bad rows become ERROR results and are skipped; nothing in the
 * store changes here.
 *
 * @module
 */
import type { Database } from "lmdb";
import { KEY_REFS, type EntityName } from "../model/entities.ts";
import { clip, validatorFor, type RowCheck, type RowRef } from "../model/validate.ts";
import { encodeBody, decodeRecord } from "../store/record.ts";
import { PENDING_RANGE, pendingKey, recordKey, stagedKey } from "../store/keys.ts";
import { BATCH_TXN, putIfAbsent, type Store } from "../store/mod.ts";
import type { FileMode, SourceEvent, SourceRow, SourceStream } from "../formats/types.ts";
import { countsOf, type CountsByEntity } from "./counts.ts";
import type { ResultsWriter } from "./results.ts";
import { decodeStaged, encodeStaged } from "./_staged.ts";

export interface StageContext {
  store: Store;
  staging: Database<Buffer, string>;
  tenant: string;
  results: ResultsWriter;
  counts: CountsByEntity;
  /** Called after each batch with the number of rows read so far. */
  onProgress?: (rows: number) => void;
}

export interface StageOutcome {
  /** Data rows read (good and bad). */
  rows: number;
  /** Files in the order they arrived; staged rows refer to them by index. */
  files: string[];
  /** Each entity the package supplies, in arrival order, with its mode and file. */
  entities: { entity: string; mode: FileMode; file: string }[];
}

const CACHE_LIMIT = 200_000;

/**
 * Reads the whole submission into the job's staging database.
 *
 * @example
 * const outcome = await stagePackage(ctx, readBundle("/srv/drop/oneroster"));
 */
export async function stagePackage(ctx: StageContext, source: SourceStream): Promise<StageOutcome> {
  const stage = new Stager(ctx);
  for await (const batch of source) {
    ctx.store.env.transactionSync(() => {
      for (const event of batch) stage.take(event);
    }, BATCH_TXN);
    ctx.onProgress?.(stage.rows);
  }
  ctx.store.env.transactionSync(() => stage.checkPending(), BATCH_TXN);
  return { rows: stage.rows, files: stage.files, entities: stage.entities };
}

class Stager {
  rows = 0;
  files: string[] = [];
  entities: StageOutcome["entities"] = [];
  #modes = new Map<string, FileMode>();
  /** Entities whose file is still arriving: a reference to them may be answered later. */
  #open = new Set<string>();
  #currentFile = "";
  #resolved = new Set<string>();
  #pending = 0;
  #check: RowCheck = { errors: [], warnings: [] };
  #refs: RowRef[] = [];

  constructor(readonly ctx: StageContext) {}

  take(event: SourceEvent): void {
    switch (event.kind) {
      case "file":
        if (event.file !== this.#currentFile) {
          this.#open.clear();
          this.#currentFile = event.file;
        }
        if (!this.files.includes(event.file)) this.files.push(event.file);
        this.#modes.set(event.entity, event.mode);
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
    const keyRef = KEY_REFS[entity as EntityName];
    if (keyRef && sourcedId !== "" && check.errors.length === 0) refs.push({ field: "sourcedId", entity: keyRef, id: sourcedId });
    const deferred: RowRef[] = [];
    for (const ref of refs) {
      const found = this.#resolve(ref.entity, ref.id);
      if (found === "yes") continue;
      if (found === "later") deferred.push(ref);
      else check.errors.push(refMessage(ref));
    }
    const counts = countsOf(this.ctx.counts, entity);
    if (check.errors.length > 0) {
      counts.errors++;
      this.#result(row, sourcedId, "ERROR", check.errors.join("; "));
      return;
    }
    const status = fields.status === "tobedeleted" || row.op === "delete" ? "tobedeleted" : "active";
    const staging = this.ctx.staging;
    const key = stagedKey(entity, sourcedId);
    const staged = encodeStaged({
      fileIndex: this.files.indexOf(row.file),
      line: row.line,
      op: status === "tobedeleted" ? "delete" : "upsert",
      keepBlank: row.keepBlank?.join(",") ?? "",
      warning: check.warnings.join("; "),
      status,
      body: encodeBody(entity, fields),
    });
    if (!putIfAbsent(staging, key, staged)) {
      const first = decodeStaged(staging.getBinary(key)!);
      counts.errors++;
      this.#result(row, sourcedId, "ERROR",
        `sourcedId "${clip(sourcedId)}" appears twice in this package (first at ${this.files[first.fileIndex]} line ${first.line}); the first row is kept, remove the duplicate`);
      return;
    }
    if (check.warnings.length > 0) counts.warnings++;
    for (const ref of deferred) {
      this.ctx.staging.putSync(pendingKey(this.#pending++), Buffer.from([entity, sourcedId, ref.field, ref.entity, ref.id].join("\x00")));
    }
  }

  #result(row: SourceRow, sourcedId: string, status: "ERROR" | "WARNING", message: string): void {
    this.ctx.results.write({ file: row.file, line: row.line, entity: row.entity, sourcedId, action: "skip", status, message });
  }

  /**
   * Whether `entity` `id` exists for this package: staged and not being
   * deleted, or active in the store and not about to be deleted by a bulk
   * file of its entity. "later" when its file is still arriving.
   */
  #resolve(entity: string, id: string): "yes" | "no" | "later" {
    const key = stagedKey(entity, id);
    if (this.#resolved.has(key)) return "yes";
    let ok = false;
    const staged = this.ctx.staging.getBinary(key);
    if (staged) ok = decodeStaged(staged).op !== "delete";
    else if (this.#modes.get(entity) !== "bulk") {
      const stored = this.ctx.store.records.getBinary(recordKey(this.ctx.tenant, entity, id));
      ok = stored !== undefined && decodeRecord(stored).status === "active";
    }
    if (ok) {
      if (this.#resolved.size >= CACHE_LIMIT) this.#resolved.clear();
      this.#resolved.add(key);
      return "yes";
    }
    return this.#open.has(entity) ? "later" : "no";
  }

  /** Settles the references that pointed at rows still arriving; a row whose reference never arrived is dropped. */
  checkPending(): void {
    this.#open.clear();
    const dropped = new Set<string>();
    for (const { key, value } of this.ctx.staging.getRange(PENDING_RANGE)) {
      const [entity, sourcedId, field, refEntity, refId] = Buffer.from(value).toString("utf8").split("\x00") as [string, string, string, EntityName, string];
      this.ctx.staging.removeSync(key);
      const rowKey = stagedKey(entity, sourcedId);
      if (dropped.has(rowKey) || this.#resolve(refEntity, refId) === "yes") continue;
      const bytes = this.ctx.staging.getBinary(rowKey);
      if (!bytes) continue;
      const row = decodeStaged(bytes);
      this.ctx.staging.removeSync(rowKey);
      dropped.add(rowKey);
      const counts = countsOf(this.ctx.counts, entity);
      counts.errors++;
      if (row.warning !== "") counts.warnings--;
      this.ctx.results.write({
        file: this.files[row.fileIndex] ?? "", line: row.line, entity, sourcedId, action: "skip", status: "ERROR",
        message: refMessage({ field, entity: refEntity, id: refId }),
      });
    }
  }
}

function refMessage(ref: RowRef): string {
  return `${ref.field}: ${ref.entity} "${clip(ref.id)}" is not in this package nor in the store; add it to ${ref.entity} or correct the reference`;
}
