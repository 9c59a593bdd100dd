/**
 * Finds submissions: polls every tenant's drop folders and each feed's
 * watched share (`watch:`) for `.done` manifests — or, for a feed with
 * `submission: quiet`, for files unchanged for `quiet_seconds` — and hands
 * each to the inbox. Polling, not inotify: SIS shares are often SMB or NFS mounts, where
 * change events do not arrive.
 *
 * @module
 */
import { readdirSync, statSync, type Dirent } from "node:fs";
import { join, relative, sep } from "node:path";
import type { Config, Feed } from "../config/mod.ts";
import { tenantRoot } from "../inbox/droptree.ts";
import { takeManifest, takeQuietFile, type TakeOutcome } from "../inbox/submission.ts";
import { QuietTracker } from "./quiet.ts";
import type { Store } from "../store/mod.ts";

export interface ScannerOptions {
  config: Config;
  store: Store;
  /** How long a manifest waits for files it lists that are not there yet. */
  waitMs?: number;
  intervalMs?: number;
  /** Each manifest moved on (queued, refused), and problems worth a log line. */
  onOutcome: (tenant: string, where: string, outcome: TakeOutcome) => void;
  onProblem: (tenant: string, message: string) => void;
}

const RESERVED = new Set(["exports", "results"]);
/** Manifests and their end states are never data files. */
const STATE = /\.(done|PROCESSING|INVALIDSCHEMA|CONTAINSINVALIDFILES|IMPORTCONFIGMISSING|INCOMPLETE|FAILED|filepart|tmp)$/;
const MAX_DEPTH = 4;

/**
 * @example
 * const scanner = new DropScanner({ config, store, onOutcome, onProblem });
 * scanner.start();
 */
export class DropScanner {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firstSeen = new Map<string, number>();
  #reported = new Set<string>();
  #running = false;
  #quiet = new Map<string, QuietTracker>();

  constructor(readonly options: ScannerOptions) {}

  start(): void {
    const tick = async () => {
      try {
        await this.scanOnce();
      } catch (err) {
        // Nothing may leave the timer: `void tick()` would make it an
        // unhandled rejection, which ends serve. The next pass tries again.
        this.#problem("", `the scan of the drop folders stopped: ${(err as Error).message}; it runs again at the next pass`);
      } finally {
        if (this.#running) this.#timer = setTimeout(tick, this.options.intervalMs ?? 250);
      }
    };
    this.#running = true;
    void tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** One pass over every folder. */
  async scanOnce(): Promise<void> {
    const { config } = this.options;
    const present = new Set<string>();
    for (const tenant of config.tenants) {
      const root = tenantRoot(config.data_dir, tenant.id);
      const byFolder = new Map((tenant.feeds ?? []).map((f) => [f.folder, f]));
      for (const { dir, manifests, strays } of walk(root)) {
        const folder = relative(root, dir).split(sep).join("/");
        for (const stray of strays) this.#problem(tenant.id, `${stray} is at the root of the tenant's folder; put it in a feed folder`);
        const feed = byFolder.get(folder);
        if (!feed && dir !== root) {
          for (const e of entries(dir)) {
            if (e.isFile() && !e.name.startsWith(".") && !STATE.test(e.name)) this.#problem(tenant.id, `${e.name} is in ${folder}/, which is not a feed folder; nothing reads it`);
          }
        }
        if (feed && byFile(feed)) this.#takeQuiet(tenant.id, dir, feed, present);
        else for (const name of manifests) await this.#take(tenant.id, dir, name, feed, present);
      }
      for (const feed of tenant.feeds ?? []) {
        if (!feed.watch) continue;
        if (byFile(feed)) this.#takeQuiet(tenant.id, feed.watch, feed, present);
        else for (const name of listManifests(feed.watch)) await this.#take(tenant.id, feed.watch, name, feed, present);
      }
    }
    for (const path of this.#firstSeen.keys()) if (!present.has(path)) this.#firstSeen.delete(path);
    for (const tracker of this.#quiet.values()) tracker.keepOnly(present);
  }

  /** `submission: quiet`: each file unchanged for quiet_seconds is a submission of its own. */
  #takeQuiet(tenant: string, dir: string, feed: Feed, present: Set<string>): void {
    let tracker = this.#quiet.get(dir);
    if (!tracker) this.#quiet.set(dir, (tracker = new QuietTracker((feed.quiet_seconds ?? (feed.submission === "upload" ? 5 : 30)) * 1000)));
    for (const e of entries(dir)) {
      if (!e.isFile() || e.name.startsWith(".") || STATE.test(e.name)) continue;
      const path = join(dir, e.name);
      present.add(path);
      let info;
      try {
        info = statSync(path, { throwIfNoEntry: false });
      } catch (err) {
        // throwIfNoEntry covers ENOENT only; a share also answers ESTALE, EIO,
        // EACCES… The file keeps its place in the tracker and is tried next pass.
        this.#problem(tenant, `${path}: ${(err as Error).message}`);
        continue;
      }
      if (!info || !tracker.observe(path, info.size, info.mtimeMs)) continue;
      tracker.forget(path);
      const { store, config } = this.options;
      try {
        this.options.onOutcome(tenant, path, takeQuietFile(dir, e.name, { store, dataDir: config.data_dir, tenant, feed, waitMs: 0, firstSeen: 0 }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.#problem(tenant, `${path}: ${(err as Error).message}`);
      }
    }
  }

  async #take(tenant: string, dir: string, name: string, feed: Feed | undefined, present: Set<string>): Promise<void> {
    const path = join(dir, name);
    present.add(path);
    const firstSeen = this.#firstSeen.get(path) ?? Date.now();
    this.#firstSeen.set(path, firstSeen);
    const { store, config, waitMs = 60_000 } = this.options;
    try {
      const outcome = await takeManifest(dir, name, { store, dataDir: config.data_dir, tenant, feed, waitMs, firstSeen });
      if (outcome.state !== "waiting") {
        this.#firstSeen.delete(path);
        this.options.onOutcome(tenant, path, outcome);
      }
    } catch (err) {
      // Gone between the listing and the take (another scan, the SIS), or unreadable: next pass.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.#problem(tenant, `${path}: ${(err as Error).message}`);
    }
  }

  #problem(tenant: string, message: string): void {
    if (this.#reported.has(message)) return;
    this.#reported.add(message);
    this.options.onProblem(tenant, message);
  }
}

/**
 * Feeds whose files are submissions one by one. On a folder the scanner can
 * only watch, `upload` ("each completed file") is judged by quiet time too
 * (5 s unless quiet_seconds says otherwise); the SFTP server will take an
 * upload on its CLOSE instead.
 */
function byFile(feed: Feed): boolean {
  return feed.submission === "quiet" || feed.submission === "upload";
}

function listManifests(dir: string): string[] {
  return entries(dir).filter((e) => e.isFile() && e.name.endsWith(".done") && !e.name.startsWith(".")).map((e) => e.name);
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** The tenant's folders below its root (not exports/ or results/), with their manifests; files lying at the root. */
function* walk(root: string): Generator<{ dir: string; manifests: string[]; strays: string[] }> {
  const top = entries(root);
  yield { dir: root, manifests: [], strays: top.filter((e) => e.isFile() && !e.name.startsWith(".")).map((e) => e.name) };
  const stack: [string, number][] = top.filter((e) => e.isDirectory() && !RESERVED.has(e.name)).map((e) => [join(root, e.name), 1]);
  while (stack.length > 0) {
    const [dir, depth] = stack.pop()!;
    yield { dir, manifests: listManifests(dir), strays: [] };
    if (depth < MAX_DEPTH) for (const e of entries(dir)) if (e.isDirectory() && !e.name.startsWith(".")) stack.push([join(dir, e.name), depth + 1]);
  }
}
