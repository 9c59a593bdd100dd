/**
 * Stage: the first pass over a submission. Every row is checked (fields,
 * then references against the package and the store) and the good ones are
 * written, sorted, into the job's run files (`_runs.ts`) for the plan. Bad
 * rows become ERROR results and are skipped; nothing in the store changes.
 *
 * References are answered from compact id sets of the package's referenced
 * entities (`_idset.ts`), falling back to the store; a reference to an
 * entity whose rows are still arriving (a self-reference, or XML that lists
 * memberships before persons) is settled at the end (`_late-refs.ts`).
 *
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import type { Database } from "lmdb";
import { KEY_REFS, REFERENCED, refTargets, type EntityName } from "../model/entities.ts";
import { checkSourcedId, validatorFor, refsOf, type FieldReader, type RowCheck, type RowRef } from "../model/validate.ts";
import { encodeBody, decodeRecord } from "../store/record.ts";
import { recordKey, stagedKey } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import type { FileMode, PassOver, PassOverFor, SourceEvent, SourcePassed, SourceRow, SourceStream } from "../formats/types.ts";
import { countsOf, type CountsByEntity, type EntityCounts } from "./counts.ts";
import type { ResultsWriter } from "./results.ts";
import { encodeStaged, KEEP } from "./_staged.ts";
import { IdSet } from "./_idset.ts";
import { abandonWrites } from "./_file-sink.ts";
import { RunWriter } from "./_runs.ts";
import { PrintMatcher, printsPath, PrintWriter } from "./_prints.ts";
import { RecordPrefetch } from "./_prefetch.ts";
import { LateRefs, refMessage } from "./_late-refs.ts";

/** A probe's staged value: no row, only "the last import held this sourcedId" (`_prints.ts`). */
export const PROBE = "";

/**
 * Bounds of what the stage remembers. `maxGone`: probed sourcedIds kept per
 * entity; past it, references to that entity are looked up instead. Tests
 * lower it to reach that path with small files.
 */
export const STAGE_LIMITS = { maxGone: 100_000 };

/** A fingerprint no row's digest equals (digests are ≥ 0). */
const RECHECK = -1;

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
  /** Fingerprints (`_prints.ts`): where to write this package's, and the feed's last ones to pass unchanged rows by. */
  prints?: StagePrints;
}

export interface StagePrints {
  /** Folder for this package's fingerprints (none on a dry run). */
  writeDir?: string;
  /** The feed's last applied fingerprints, still true of the store: their folder and bulk entities. */
  previous?: { dir: string; entities: readonly string[] };
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
  /** Entities whose rows were matched against the last import's fingerprints: the plan reads their probes. */
  probed: string[];
  /** Entities whose fingerprints this package wrote (bulk files, every row with a digest). */
  printed: string[];
}

/**
 * Reads the whole submission into the job's runs. `open` opens the source,
 * given the stage's way of passing over rows its fingerprints know.
 *
 * @example
 * const outcome = await stagePackage(ctx, (passOver) => openSource("oneroster-csv", ["/srv/drop/oneroster"], {}, passOver));
 */
export async function stagePackage(ctx: StageContext, open: (passOverFor: PassOverFor) => SourceStream): Promise<StageOutcome> {
  const stage = new Stager(ctx);
  const source = open(stage.passOverFor);
  ctx.onProgress?.(0);
  let reported = 0;
  let stopped = true;
  try {
    for await (const batch of source) {
      for (const event of batch) stage.take(event);
      if (stage.rows - reported >= 50_000) {
        reported = stage.rows;
        ctx.onProgress?.(stage.rows);
      }
    }
    stopped = false;
  } finally {
    stage.closePrints();
    // A job that stops here has its staging removed next: its files must be written (or have failed) first.
    if (stopped) abandonWrites();
    await stage.prefetch.settle();
  }
  // The runs and the fingerprints are all written once this returns.
  stage.runs.finish();
  const rejected = ctx.store.env.transactionSync(() => stage.settlePending());
  ctx.onProgress?.(stage.rows);
  return { rows: stage.rows, files: stage.files, entities: stage.entities, rejected, probed: stage.probed, printed: [...stage.printed] };
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
  #check: RowCheck = { errors: [], warnings: [] };
  #refs: RowRef[] = [];
  probed: string[] = [];
  printed = new Set<string>();
  #matcher: PrintMatcher | undefined;
  /** The entity of the last passed-over row, its counts and its id set (if other rows refer to it). */
  #passing: { entity: string; counts: EntityCounts; ids: IdSet | undefined } | undefined;
  /** The entity whose file the matcher is open for. */
  #matching: string | undefined;
  /** The entity whose file is being matched, and the sourcedIds its fingerprints probed: records that may be gone. */
  #gone: { entity: string; ids: Set<string> } | undefined;
  /**
   * Per probed entity read to its end (with at most `maxGone` probed), the
   * probed sourcedIds this package does not hold: what a passed-over row
   * must not refer to. Most nights none of them is gone.
   */
  #settled = new Map<string, Set<string>>();
  #printer: PrintWriter | undefined;
  /** The records of probed sourcedIds, which the plan reads: brought into memory while the package is read. */
  readonly prefetch: RecordPrefetch;

  /** References to rows still arriving, answered at the end. */
  #late: LateRefs;
  #deleting = new Map<string, IdSet>();

  constructor(readonly ctx: StageContext) {
    this.runs = new RunWriter(ctx.runsDir);
    this.#late = new LateRefs(ctx.staging);
    this.prefetch = new RecordPrefetch(ctx.store.records);
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
        this.closePrints();
        this.#openPrints(event.entity, event.mode);
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
          if (event.sourcedId) this.#keep(event.entity, event.sourcedId);
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
        return;
      case "passed":
        this.rows++;
        this.#passed(event);
    }
  }

  /**
   * The reader's question, for each row of the file being matched against
   * its fingerprints, before the row's fields are made: is it one the last
   * import applied as it is now, whose references are still there? Those
   * rows come back as `passed` events. A row that matched but whose
   * reference has gone is probed and comes back whole, to be checked.
   */
  passOverFor = (entity: string): PassOver | undefined => {
    const matcher = this.#matcher;
    if (matcher === undefined || this.#matching !== entity) return undefined;
    // When nothing this entity refers to is gone, a matched row's references need not even be read.
    const nothingGone = refTargets(entity).every((target) => this.#settled.get(target)?.size === 0);
    return (_line, digest, sourcedId, field) => {
      if (!matcher.match(sourcedId, digest)) return false;
      if (nothingGone || this.#stillReferenced(entity, sourcedId, field)) return true;
      matcher.onProbe(sourcedId);
      return false;
    };
  };

  /** A row passed over by the reader: unchanged, as {@link #again} finds a row it matched itself. */
  #passed(row: SourcePassed): void {
    const { entity, sourcedId } = row;
    // Passed rows come a file at a time: what is kept per entity is looked up once per run of them.
    if (entity !== this.#passing?.entity) {
      this.#passing = { entity, counts: countsOf(this.ctx.counts, entity), ids: REFERENCED.has(entity) ? this.#idsOf(entity) : undefined };
    }
    this.#passing.counts.unchanged++;
    this.ctx.results.unchanged(row.file, row.line, entity, sourcedId);
    this.#passing.ids?.add(sourcedId);
    this.#printer?.add(row.line, row.digest, sourcedId);
  }

  #row(row: SourceRow): void {
    const matcher = this.#matcher;
    if (matcher !== undefined && row.digest !== undefined && matcher.match(row.fields.sourcedId ?? "", row.digest)) {
      if (this.#again(row, row.digest)) return;
      // Its reference has gone: the row is checked as any other, against the record the probe brings.
      matcher.onProbe(row.fields.sourcedId!);
    }
    const { entity, fields } = row;
    const check = this.#check;
    check.errors.length = 0;
    check.warnings.length = 0;
    const refs = this.#refs;
    refs.length = 0;
    const sourcedId = fields.sourcedId ?? "";
    const deleting = fields.status === "tobedeleted" || row.op === "delete";
    // A delete names its record and nothing more (IMS recstatus 3 sends the sourcedId alone):
    // the fields a record must have are the stored record's business, not the delete's.
    if (deleting) checkSourcedId(sourcedId, check, "; a delete must name the record it deletes");
    else validatorFor(entity).check(fields, check, refs);
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
      this.#keep(entity, sourcedId);
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
    if (REFERENCED.has(entity)) {
      if (!deleting) this.#idsOf(entity).add(sourcedId);
      else this.#deletingOf(entity).add(sourcedId);
    }
    if (this.#printer) {
      if (row.digest === undefined) this.#dropPrints(entity);
      // Every row that will be active is listed (the next import's probes rely on it); one
      // with a warning under a digest no row has, so that it is checked, and warned of, again.
      else if (!deleting) this.#printer.add(row.line, check.warnings.length === 0 ? row.digest : RECHECK, sourcedId);
    }
    if (deferred) for (const ref of deferred) this.#late.add(entity, sourcedId, ref);
  }

  /** A rejected row of a bulk file still says its record is there: the plan keeps that record as it is. */
  #keep(entity: string, sourcedId: string): void {
    if (this.#modes.get(entity) === "bulk" && sourcedId !== "" && sourcedId.length <= 255) this.runs.add(stagedKey(entity, sourcedId), KEEP);
  }

  /**
   * A row the last import applied as it is now, and the store still holds so:
   * unchanged, if what it refers to is still there. Its values are not
   * checked again; its references are, since their files may have changed.
   */
  #again(row: SourceRow, digest: number): boolean {
    const { entity, fields } = row;
    const sourcedId = fields.sourcedId!;
    if (!this.#stillReferenced(entity, sourcedId, (name) => fields[name])) return false;
    this.#passed({ kind: "passed", file: row.file, line: row.line, entity, sourcedId, digest });
    return true;
  }

  /** Whether all that a matched row refers to (by its fields, and by its key) is still there. */
  #stillReferenced(entity: string, sourcedId: string, read: FieldReader): boolean {
    if (!refsOf(entity)(read, this.#stillThere)) return false;
    const keyRef = KEY_REFS[entity as EntityName];
    return !keyRef || this.#stillThere(keyRef, sourcedId);
  }

  /**
   * Whether what a row passed over refers to is still there. A record of an
   * entity whose file is read to the end and was matched against its
   * fingerprints is there unless its sourcedId was probed (changed, gone, or
   * failed its own references): most references are settled without a lookup.
   */
  #stillThere = (entity: EntityName, id: string): boolean => {
    const gone = this.#settled.get(entity);
    if (gone !== undefined && !gone.has(id)) return true;
    return this.#resolve(entity, id) === "yes";
  };

  /** Starts a file's fingerprints: matching its rows against the last ones, writing its own. */
  #openPrints(entity: string, mode: FileMode): void {
    const prints = this.ctx.prints;
    // A second file of an entity: the first one's fingerprints no longer tell the whole entity.
    if (this.#modes.has(entity)) return this.#dropPrints(entity);
    if (!prints || mode !== "bulk") return;
    const previous = prints.previous;
    if (previous?.entities.includes(entity) && existsSync(printsPath(previous.dir, entity))) {
      // Only an entity other rows refer to needs its probed sourcedIds; past `maxGone`, references to it are looked up instead.
      const gone = REFERENCED.has(entity) ? new Set<string>() : undefined;
      if (gone) this.#gone = { entity, ids: gone };
      const mayBeGone = (id: string) => void (gone && gone.size <= STAGE_LIMITS.maxGone && gone.add(id));
      this.#matching = entity;
      this.#matcher = new PrintMatcher(previous.dir, entity, (id) => {
        this.runs.add(stagedKey(entity, id), PROBE);
        void this.prefetch.add(recordKey(this.ctx.tenant, entity, id));
        mayBeGone(id);
      }, mayBeGone);
      this.probed.push(entity);
    }
    if (prints.writeDir) {
      mkdirSync(prints.writeDir, { recursive: true });
      this.#printer = new PrintWriter(printsPath(prints.writeDir, entity));
      this.printed.add(entity);
    }
  }

  #dropPrints(entity: string): void {
    this.printed.delete(entity);
    this.#printer?.finish();
    this.#printer = undefined;
  }

  /** Ends the current file's fingerprints: the last ones no row matched become probes. */
  closePrints(): void {
    this.#matcher?.finish();
    void this.prefetch.flush();
    this.#matcher = undefined;
    this.#matching = undefined;
    const gone = this.#gone;
    if (gone && gone.ids.size <= STAGE_LIMITS.maxGone) {
      // A probed record the file brought again (changed) is there: only the others may be gone. The
      // answer is final: the entity's file is read, and a bulk entity's ids come from nowhere else.
      const missing = new Set<string>();
      for (const id of gone.ids) if (this.#resolve(gone.entity, id) !== "yes") missing.add(id);
      this.#settled.set(gone.entity, missing);
    }
    this.#gone = undefined;
    this.#printer?.finish();
    this.#printer = undefined;
  }

  #idsOf(entity: string): IdSet {
    let ids = this.#ids.get(entity);
    if (!ids) this.#ids.set(entity, (ids = new IdSet()));
    return ids;
  }

  /** Ids of `entity` this package deletes (a delete row, a tobedeleted one): not there for what refers to them. */
  #deletingOf(entity: string): IdSet {
    let ids = this.#deleting.get(entity);
    if (!ids) this.#deleting.set(entity, (ids = new IdSet()));
    return ids;
  }

  /**
   * Whether `entity` `id` exists for this package: staged and not being
   * deleted, or active in the store and not about to be deleted by a bulk
   * file of its entity. "later" when its rows are still arriving.
   */
  #resolve(entity: string, id: string): "yes" | "no" | "later" {
    // (Most packages delete nothing: then not even the map is asked, on this path of millions of calls.)
    if (this.#deleting.size > 0 && this.#deleting.get(entity)?.has(id)) return "no";
    const ids = this.#idsOf(entity);
    if (ids.has(id)) return "yes";
    if (this.#modes.get(entity) !== "bulk") {
      // While its own file is read, a stored record may yet be deleted further down it: settled at the end.
      if (this.#open.has(entity)) return "later";
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
    return this.#late.settle((entity, id) => this.#resolve(entity, id) === "yes");
  }
}

