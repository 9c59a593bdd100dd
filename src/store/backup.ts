/**
 * Backup and restore of a data dir. The LMDB store is copied with LMDB's
 * own hot backup (a consistent snapshot, taken in a read transaction while
 * the service goes on writing); the files around it (drop tree, archive,
 * staging, host keys, results) are copied after it. Anything in flight at
 * that moment is what a restart after a crash would find, and the service
 * resumes or redoes it the same way.
 *
 * @module
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";

/** Not copied: the lock of the running process, and uploads still streaming in. */
const SKIP = new Set(["rosterbox.lock", "uploads", "store"]);

/**
 * Copies `dataDir` into `out` (which must not exist or be empty).
 *
 * @example await backupDataDir("/var/lib/rosterbox", "/backups/rosterbox-2026-11-24")
 */
export async function backupDataDir(dataDir: string, out: string): Promise<{ storeBytes: number }> {
  if (!existsSync(join(dataDir, "store"))) throw new Error(`${dataDir} has no store: is it a rosterbox data dir?`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty; back up into a new folder`);
  mkdirSync(join(out, "store"), { recursive: true });
  const env = open({ path: join(dataDir, "store"), maxDbs: 4096 });
  try {
    // The store is opened as a folder, so LMDB writes data.mdb into the folder given.
    await env.backup(join(out, "store"), false);
  } finally {
    await env.close();
  }
  for (const name of readdirSync(dataDir)) {
    if (!SKIP.has(name)) cpSync(join(dataDir, name), join(out, name), { recursive: true, preserveTimestamps: true });
  }
  return { storeBytes: statSync(join(out, "store", "data.mdb")).size };
}

/**
 * Puts a backup in place of `dataDir` (the service must be stopped). What
 * was there is kept beside it as `<dataDir>.before-restore-<time>`.
 *
 * @example restoreDataDir("/backups/rosterbox-2026-11-24", "/var/lib/rosterbox")
 */
export function restoreDataDir(backup: string, dataDir: string): string | undefined {
  if (!existsSync(join(backup, "store", "data.mdb"))) throw new Error(`${backup} is not a rosterbox backup (no store/data.mdb)`);
  let keptAt: string | undefined;
  if (existsSync(dataDir) && readdirSync(dataDir).some((n) => n !== "rosterbox.lock")) {
    keptAt = `${dataDir}.before-restore-${new Date().toISOString().replace(/[-:.]/g, "")}`;
    renameSync(dataDir, keptAt);
  }
  mkdirSync(dataDir, { recursive: true });
  for (const name of readdirSync(backup)) cpSync(join(backup, name), join(dataDir, name), { recursive: true, preserveTimestamps: true });
  rmSync(join(dataDir, "rosterbox.lock"), { force: true });
  return keptAt;
}
