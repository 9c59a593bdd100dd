/**
 * One writer per data directory: a lock file holding the owner's pid and
 * the machine's boot id. A lock left by a process that died (kill -9, power
 * loss, a reboot) is taken over; a live owner makes the second process stop
 * with a clear message instead of resuming the same job twice.
 *
 * The lock appears with its content already in it (written to a file of our
 * own, then hard-linked into place), so a process starting at the same
 * instant never reads an empty lock and takes it for a dead one's; a stale
 * lock is removed only by the holder of a second, short-lived lock (the
 * takeover), and only if it is still the lock read as stale — so two
 * processes replacing it at once cannot remove each other's.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Changes at every boot (Linux); a pid from another boot is no one's now. */
function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** What a lock file says: its text, or undefined if there is none (any more). */
function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The live process a lock's text names, or 0 if it names none (dead, from another boot, or unreadable). */
function liveOwner(text: string, boot: string): number {
  const [pidText = "", lockBoot] = text.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return 0;
  if (lockBoot !== undefined && boot !== "" && lockBoot !== boot) return 0;
  return alive(pid) ? pid : 0;
}

/**
 * Puts the lock in place whole (a hard link to our written file), or throws
 * EEXIST. Where the filesystem has no hard links (some SMB mounts) it is
 * created with O_EXCL and written, as before: briefly empty.
 */
function place(mine: string, path: string, text: string): void {
  try {
    linkSync(mine, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
    writeFileSync(path, text, { flag: "wx" });
  }
}

/** Sleeps the thread: a lock is taken before anything else runs, so there is nothing to wait for instead. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
  // Whoever replaces a stale lock holds this one meanwhile: only one process at a time may
  // remove a lock, and only one it read as stale while holding this.
  const takeover = `${path}.takeover`;
  const boot = bootId();
  const text = boot === "" ? String(process.pid) : `${process.pid} ${boot}`;
  const mine = `${path}.${process.pid}.${randomBytes(6).toString("hex")}`;
  writeFileSync(mine, text);
  const inUse = (owner: number) => new Error(`${dataDir} is in use by process ${owner} (another rosterbox import or serve); wait for it to finish`);
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        place(mine, path, text);
        // Only our own lock is removed: one that replaced ours (it cannot, while we live) stays.
        return () => {
          if (readLock(path) === text) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const found = readLock(path);
      if (found === undefined) continue;
      const owner = liveOwner(found, boot);
      if (owner && owner !== process.pid) throw inUse(owner);
      // Stale: replaced under the takeover lock, by one process at a time.
      try {
        place(mine, takeover, text);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = readLock(takeover);
        // A takeover left by a process that died in the middle of one is removed; a live one is waited for.
        if (holder !== undefined && !liveOwner(holder, boot)) rmSync(takeover, { force: true });
        else pause(5);
        continue;
      }
      try {
        // Still the stale lock we read? Only a takeover holder removes a lock, and no lock is made over one.
        if (readLock(path) === found) rmSync(path, { force: true });
      } finally {
        rmSync(takeover, { force: true });
      }
    }
    throw new Error(`could not take the lock ${path}: it keeps changing hands`);
  } finally {
    rmSync(mine, { force: true });
  }
}
