/**
 * The content hash of a package, taken on a thread of its own: beside the
 * staging, for a package that cannot be the last one applied again.
 *
 * The hash tells a re-delivered identical package, and it needs every byte:
 * 1.5 GB of a 1M-student bundle cost 1.3–2.2 s of SHA-256 and reading before
 * the first row was staged. A package that cannot be the last one again (its
 * size differs) is staged while this thread hashes it, on the second core.
 * One hashing thread per thread that asks, started with the first package
 * and kept (idle, it does not hold the process open).
 *
 * The hash: SHA-256 over each file's name and SHA-256, in name order. SHA-256,
 * not MD5: with the CPU's SHA extensions it hashes at 1.3–1.5 GB/s here
 * against MD5's 0.56–0.62 GB/s. It says nothing of how the bytes are read:
 * that is {@link readingOf}, beside it in the package's mark.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Worker } from "node:worker_threads";

const HASHER = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const chunk = Buffer.allocUnsafe(1 << 20);
parentPort.on("message", ({ id, files }) => {
  try {
    const outer = createHash("sha256");
    for (const { name, path } of files) {
      const inner = createHash("sha256");
      let fd;
      try { fd = fs.openSync(path, "r"); } catch (err) { if (err.code !== "ENOENT") throw err; }
      if (fd !== undefined) {
        try {
          for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) inner.update(chunk.subarray(0, n));
        } finally { fs.closeSync(fd); }
      }
      outer.update(name + "\\u0000" + inner.digest("hex") + "\\n");
    }
    parentPort.postMessage({ id, hash: outer.digest("hex") });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

interface Reply {
  id: number;
  hash?: string;
  error?: string;
}

let hasher: { worker: Worker; waiting: Map<number, (r: Reply) => void>; next: number } | undefined;

function hasherOf(): NonNullable<typeof hasher> {
  if (hasher) return hasher;
  const worker = new Worker(HASHER, { eval: true });
  const waiting = new Map<number, (r: Reply) => void>();
  worker.on("message", (r: Reply) => {
    waiting.get(r.id)?.(r);
    waiting.delete(r.id);
    if (waiting.size === 0) worker.unref();
  });
  worker.on("error", (err) => {
    for (const answer of waiting.values()) answer({ id: 0, error: err.message });
    waiting.clear();
    hasher = undefined;
  });
  worker.unref();
  return (hasher = { worker, waiting, next: 0 });
}

/** A package's files the way its hash takes them (in name order), and their bytes in all. */
export interface PackageListing {
  files: { name: string; path: string }[];
  bytes: number;
}

/**
 * Lists a package: a folder's files, or the path itself. A file that is not
 * there counts as empty (the import reports it missing itself).
 *
 * @example const listing = await listPackage(["/srv/drop/oneroster"]); listing.bytes; // 295012345
 */
export async function listPackage(paths: readonly string[]): Promise<PackageListing> {
  const files: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (info?.isDirectory()) {
      for (const e of await readdir(p, { withFileTypes: true })) {
        if (!e.isFile()) continue;
        files.push(join(p, e.name));
        bytes += (await stat(join(p, e.name)).catch(() => undefined))?.size ?? 0;
      }
    } else {
      files.push(p);
      bytes += info?.size ?? 0;
    }
  }
  return { files: files.map((path) => ({ name: basename(path), path })).sort((a, b) => (a.name < b.name ? -1 : 1)), bytes };
}

/**
 * Hashes a listed package on the hashing thread.
 *
 * @example const hash = await hashPackage(await listPackage(["/srv/drop/oneroster"])); // "9f86d0…"
 */
export async function hashPackage(listing: PackageListing): Promise<string> {
  const h = hasherOf();
  const id = ++h.next;
  const reply = new Promise<Reply>((resolve) => h.waiting.set(id, resolve));
  // A hash being waited for keeps the process alive; an idle hasher does not.
  h.worker.ref();
  h.worker.postMessage({ id, files: listing.files });
  const r = await reply;
  if (r.error !== undefined) throw new Error(`could not hash the package: ${r.error}`);
  return r.hash!;
}

/**
 * How a package is read, as a digest: its format and the feed's source
 * options (a delimited feed's entity and mapping, an IMS feed's types). The
 * same bytes read with another mapping are not the package applied before.
 * Keys are taken in sorted order, so that a config written in another order
 * reads the same; list order (the mapping's fields) counts.
 *
 * @example readingOf("delimited", { delimited: { entity: "users", fields } }) // "3a7bd3…"
 */
export function readingOf(format: string, options: unknown): string {
  return createHash("sha256").update(`${format}\u0000${stableJson(options ?? {})}`).digest("hex");
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
