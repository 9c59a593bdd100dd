/**
 * An upload's MD5 for the audit trail, taken off the SFTP thread.
 *
 * Hashing each WRITE as it arrived cost about a quarter of an upload's CPU
 * on the SFTP thread (1 GiB: ≈1.0–1.6 s of ≈4 s). Instead the session opens
 * the finished file for reading before renaming it into place and passes the
 * descriptor on with the `sftp.upload` event (field {@link READ_FD}); the
 * main thread hashes it there, on the other core, and logs the event with
 * its `md5`. The descriptor reads the bytes that were received even once the
 * inbox has moved the file or another upload has replaced it. Resumed and
 * out-of-order uploads, which the old way could not hash, now get one too.
 *
 * The descriptor goes back to the SFTP thread to be closed: Node keeps, per
 * thread, the descriptors a thread opened, and one closed elsewhere stays on
 * that list, warning when its number comes round again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fstat, fstatSync, read, type BigIntStats } from "node:fs";
import { promisify } from "node:util";

/** The field of an `sftp.upload` event that carries the read descriptor. */
export const READ_FD = "readFd";

const readAt = promisify(read);
const CHUNK = 1 << 20;
let shared: Buffer | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * The MD5 (hex) of everything an open descriptor reads from its start, then
 * `release(fd)`; `undefined` if it cannot be read (the event is still logged).
 *
 * Uploads are hashed one at a time through one reused 1 MiB buffer: a new
 * Buffer per chunk is external memory that the main thread's heap counts
 * towards its next full collection, and 1 GiB of them set off a
 * mark-compact every few megabytes (the storms `mod.ts` describes).
 *
 * @example const md5 = await md5OfDescriptor(fd, (fd) => worker.postMessage({ type: "release", fd }), rememberMd5);
 */
export function md5OfDescriptor(fd: number, release: (fd: number) => void, remember?: RememberMd5): Promise<string | undefined> {
  // The file as it is now, before the queue reaches it: what `remember` is told the hash is of.
  let before: BigIntStats | undefined;
  try {
    before = remember && fstatSync(fd, { bigint: true });
  } catch {
    before = undefined;
  }
  const hashed = queue.then(() => hash(fd, release, before));
  queue = hashed;
  if (before) remember!(before, hashed.then((h) => (h?.unchanged ? h.md5 : undefined)));
  return hashed.then((h) => h?.md5);
}

/**
 * Told, when hashing is queued, the file's `fstat` and a promise of its MD5:
 * undefined if it could not be read, or changed while it was (the inbox's
 * `rememberMd5`, so that the manifest check need not read the file again).
 */
export type RememberMd5 = (before: BigIntStats, md5: Promise<string | undefined>) => void;

const fstatAt = promisify(fstat);

async function hash(fd: number, release: (fd: number) => void, before: BigIntStats | undefined): Promise<{ md5: string; unchanged: boolean } | undefined> {
  const md5 = createHash("md5");
  const buf = (shared ??= Buffer.allocUnsafe(CHUNK));
  try {
    for (let position = 0; ; ) {
      const { bytesRead } = await readAt(fd, buf, 0, CHUNK, position);
      if (bytesRead === 0) {
        // Written to while it was read (a resumed upload, say): the hash stands for the log, not for the file.
        const after = before && (await fstatAt(fd, { bigint: true }));
        const unchanged = after !== undefined && after.size === before!.size && after.mtimeNs === before!.mtimeNs && BigInt(position) === after.size;
        return { md5: md5.digest("hex"), unchanged };
      }
      md5.update(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
  } catch {
    return undefined;
  } finally {
    release(fd);
  }
}
