/**
 * One writer per data directory: a lock file holding the owner's pid. A
 * lock left by a process that died (kill -9, power loss) is taken over; a
 * live owner makes the second process stop with a clear message instead of
 * resuming the same job twice.
 *
 * @module
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data directory's lock; returns its release.
 *
 * @example
 * const release = lockDataDir("/var/lib/rosterbox");
 * try { … } finally { release(); }
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "rosterbox.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(path, "utf8"));
      if (owner && owner !== process.pid && alive(owner)) {
        throw new Error(`${dataDir} is in use by process ${owner} (another rosterbox import or serve); wait for it to finish`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
