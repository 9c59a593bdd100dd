/**
 * "Quiet" submission (CONTRACT.md `submission: quiet`): on a share the SIS
 * writes to, a file counts as complete once its size and modification time
 * have not changed for `quiet_seconds`. A file still being written is never
 * taken.
 *
 * @module
 */

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
}

/**
 * Remembers what each file looked like and since when.
 *
 * @example
 * const quiet = new QuietTracker(30_000);
 * if (quiet.observe(path, st.size, st.mtimeMs)) accept(path);
 */
export class QuietTracker {
  #seen = new Map<string, Seen>();

  constructor(readonly quietMs: number, readonly now: () => number = Date.now) {}

  /**
   * Records the file's current size and mtime; true once they have been the
   * same for the quiet time (and the file is not empty).
   */
  observe(path: string, size: number, mtimeMs: number): boolean {
    const now = this.now();
    const seen = this.#seen.get(path);
    if (!seen || seen.size !== size || seen.mtimeMs !== mtimeMs) {
      this.#seen.set(path, { size, mtimeMs, since: now });
      return false;
    }
    // A file whose mtime is in the future (a skewed share clock) waits the quiet time from now on.
    return size > 0 && now - seen.since >= this.quietMs && now - mtimeMs >= 0;
  }

  /** Stops tracking a file (taken, or gone). */
  forget(path: string): void {
    this.#seen.delete(path);
  }

  /** Forgets every file not in `present` (deleted since the last scan). */
  keepOnly(present: ReadonlySet<string>): void {
    for (const path of this.#seen.keys()) if (!present.has(path)) this.#seen.delete(path);
  }
}
