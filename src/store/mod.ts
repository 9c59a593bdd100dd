/**
 * The appliance's own state: one LMDB environment in `<data_dir>/store`,
 * with named databases whose keys are built in `keys.ts`.
 *
 * | database | key | value |
 * | --- | --- | --- |
 * | records | tenant · entity · sourcedId | the record (`record.ts`) |
 * | changes | tenant · first seq | a block of changes: entity · sourcedId · op (drives delta exports; changes.ts) |
 * | meta | `seq` · tenant | last change sequence number |
 * | packages | tenant · feed | content hash and job of the last package applied |
 * | undo | job · n | before-image of each record a job updated or deleted |
 * | jobs | job id, job id · `cp` | job record, apply checkpoint |
 * | jobEvents | job · time · n | the job's event log (jobs.ts) |
 * | staging:<job> | pending · n, rejected · key | references settled late, rows rejected late |
 *
 * A job's staged rows themselves are sorted run files in
 * `<data_dir>/staging/<job>/` (see importer/_runs.ts), removed with its
 * staging database when the job ends.
 *
 * The environment may be opened by the main thread and by import workers at
 * once; lmdb serialises their write transactions.
 *
 * @module
 */
import { open, type Database, type RootDatabase } from "lmdb";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { migrateKeys, utf8Keys } from "./_key-codec.ts";

export interface Store {
  readonly env: RootDatabase;
  readonly records: Database<Buffer, string>;
  /**
   * The same `records` database read and written as text (record values are
   * UTF-8): lmdb then makes a string straight from the page, or writes one
   * straight into its buffer, without a Buffer per record in between.
   */
  readonly recordTexts: Database<string, string>;
  /**
   * `records` again, for reading only: each value is lmdb's own reused read buffer,
   * bytes 0 to {@link RecordView.size}, valid only until the next read (no copy, no string).
   * A full export walks a million records this way (exporter/_bytes.ts).
   */
  readonly recordViews: Database<RecordView, string>;
  readonly changes: Database<string, string>;
  readonly meta: Database<unknown, string>;
  readonly packages: Database<PackageMark, string>;
  readonly undo: Database<Buffer, string>;
  readonly jobs: Database<unknown, string>;
  readonly jobEvents: Database<unknown, string>;
  /** Secondary keys of the jobs (tenant, feed, status), for the job list (`job-index.ts`). */
  readonly jobIndex: Database<boolean, string>;
  /** Web sessions and API tokens, stored only as hashes (`web/auth`). */
  readonly auth: Database<unknown, string>;
  /** Security events (SFTP logins, denials, bans), newest kept (`audit.ts`). */
  readonly audit: Database<unknown, string>;
  /** The job's staging database (created on first use). */
  staging(jobId: string): Database<Buffer, string>;
  /** The folder of a job's sorted run files. */
  runsDir(jobId: string): string;
  /** The folder of the fingerprints a job left for its feed's next import (`importer/_prints.ts`). */
  printsDir(jobId: string): string;
  /** Removes a job's staging database and run files. */
  dropStaging(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** A record's bytes in lmdb's read buffer (see {@link Store.recordViews}). */
export interface RecordView {
  bytes: Buffer;
  size: number;
}

/**
 * The decoder of `recordViews`: lmdb hands a decoder without `needsStableBuffer` its shared
 * read buffer directly (read.js, `decoderCopies`). One view object, refilled per read.
 */
function viewCodec() {
  const view: RecordView = { bytes: Buffer.alloc(0), size: 0 };
  return {
    encode(): Buffer {
      throw new Error("recordViews is read-only; write records through `records`");
    },
    // A range passes the value's size (the shared buffer is longer); get() passes its options instead.
    decode(bytes: Uint8Array, size: unknown): RecordView {
      view.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // get() passes no size, and byteLength is then the whole shared buffer: lmdb sets length to the value's own.
      view.size = typeof size === "number" ? size : bytes.length;
      return view;
    },
  };
}

/** What `packages` remembers of the last package a feed applied. */
export interface PackageMark {
  hash: string;
  job: string;
  /** The package's size in bytes: one of another size cannot be identical, and is staged while it is hashed. */
  bytes?: number;
  /**
   * How the package was read (`readingOf`: format and source options, such
   * as a delimited feed's mapping): the same bytes read another way are not
   * the same package.
   */
  reading?: string;
  /**
   * The tenant's change sequence once the package was applied: while it is
   * still there, the package's records stand as it left them. Once another
   * import (another feed's, say) has changed any, the package is imported
   * again when it comes again, so that the later delivery wins. A mark
   * without one (written before it was kept) never counts as identical.
   */
  seq?: number;
  /**
   * The job's fingerprints (in `printsDir(job)`): the bulk entities they cover,
   * and the tenant's change sequence when they were made; they hold only while
   * the sequence is still there.
   */
  prints?: { seq: number; entities: string[] };
}

/** The store's named databases (besides each running job's `staging:<job>`). */
const DATABASES = ["records", "changes", "meta", "packages", "undo", "jobs", "jobEvents", "jobIndex", "auth", "audit"] as const;

/**
 * Opens (creating if needed) the store of a data directory.
 *
 * @example
 * const store = openStore("/var/lib/rosterbox");
 * store.records.getBinary(recordKey("strata", "users", "u1"));
 */
export function openStore(dataDir: string): Store {
  const path = join(dataDir, "store");
  mkdirSync(path, { recursive: true });
  const env = open({
    path,
    maxDbs: 4096,
  });
  // Every key is a string written as plain UTF-8 (see _key-codec.ts for why not lmdb's default).
  const keys = { keyEncoder: utf8Keys };
  const bin = { encoding: "binary" as const, ...keys };
  const stagingDbs = new Map<string, Database<Buffer, string>>();
  const meta = env.openDB<unknown, string>({ name: "meta", ...keys });
  const runsRoot = join(dataDir, "staging");
  const staged = existsSync(runsRoot) ? readdirSync(runsRoot).map((id) => `staging:${id}`) : [];
  migrateKeys(env, meta, [...DATABASES, ...staged]);
  return {
    env,
    records: env.openDB<Buffer, string>({ name: "records", ...bin }),
    recordTexts: env.openDB<string, string>({ name: "records", encoding: "string", ...keys }),
    recordViews: env.openDB<RecordView, string>({ name: "records", encoding: "binary", encoder: viewCodec(), ...keys } as never),
    changes: env.openDB<string, string>({ name: "changes", encoding: "string", ...keys }),
    meta,
    packages: env.openDB<PackageMark, string>({ name: "packages", ...keys }),
    undo: env.openDB<Buffer, string>({ name: "undo", ...bin }),
    jobs: env.openDB<unknown, string>({ name: "jobs", ...keys }),
    jobEvents: env.openDB<unknown, string>({ name: "jobEvents", ...keys }),
    jobIndex: env.openDB<boolean, string>({ name: "jobIndex", ...keys }),
    auth: env.openDB<unknown, string>({ name: "auth", ...keys }),
    audit: env.openDB<unknown, string>({ name: "audit", ...keys }),
    staging(jobId) {
      let db = stagingDbs.get(jobId);
      if (!db) {
        db = env.openDB<Buffer, string>({ name: `staging:${jobId}`, ...bin });
        stagingDbs.set(jobId, db);
      }
      return db;
    },
    runsDir(jobId) {
      return join(runsRoot, jobId);
    },
    printsDir(jobId) {
      return join(dataDir, "prints", jobId);
    },
    async dropStaging(jobId) {
      const db = this.staging(jobId);
      await db.drop();
      stagingDbs.delete(jobId);
      rmSync(this.runsDir(jobId), { recursive: true, force: true });
    },
    async close() {
      await env.close();
    },
  };
}

/** Jobs that have staging files in the data directory. */
export function stagedJobIds(store: Store): string[] {
  const dir = dirname(store.runsDir("x"));
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * Flags for the many small synchronous write transactions (job records, the store anchor): commit
 * (visible, and safe from a killed process) without waiting for the fsync,
 * which lmdb overlaps with the next transaction.
 */
export const BATCH_TXN = 0x10000; // TransactionFlags.NO_SYNC_FLUSH; the enum is type-only in lmdb's typings

/** Waits until every commit so far is on disk (call at job transitions). */
export async function flushStore(store: Store): Promise<void> {
  await store.env.flushed;
}

/**
 * Writes `value` only if `key` is absent; false when it was there already.
 * Must run inside a write transaction (lmdb's typings say void; the
 * implementation returns whether the put happened).
 *
 * @example if (!putIfAbsent(staging, key, row)) reportDuplicate(key);
 */
export function putIfAbsent(db: Database<Buffer, string>, key: string, value: Buffer): boolean {
  const put = db.putSync as unknown as (k: string, v: Buffer, o: { noOverwrite: boolean }) => boolean;
  return put.call(db, key, value, { noOverwrite: true });
}
