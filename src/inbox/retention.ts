/**
 * Archive retention (CONTRACT.md `retention.archive_days`): submissions are
 * archived after processing and removed once older than the retention.
 * The appliance runs this on `retention.schedule` (croner).
 *
 * @module
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const DAY = 24 * 60 * 60 * 1000;

/**
 * Removes the entries of `dir` (files or folders) last modified more than
 * `days` days before `now`; returns their names.
 *
 * @example pruneOlderThan("/var/lib/rosterbox/archive/strata", 60) // ["20260901T…"]
 */
export function pruneOlderThan(dir: string, days: number, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const cutoff = now - days * DAY;
  const removed: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info && info.mtimeMs < cutoff) {
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}
