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
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";

/** The field of an `sftp.upload` event that carries the read descriptor. */
export const READ_FD = "readFd";

/**
 * The MD5 (hex) of everything an open descriptor reads from its start, then
 * `release(fd)`; `undefined` if it cannot be read (the event is still logged).
 *
 * @example const md5 = await md5OfDescriptor(fd, (fd) => worker.postMessage({ type: "release", fd }));
 */
export async function md5OfDescriptor(fd: number, release: (fd: number) => void): Promise<string | undefined> {
  const hash = createHash("md5");
  try {
    for await (const chunk of createReadStream("", { fd, start: 0, highWaterMark: 1 << 20, autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest("hex");
  } catch {
    return undefined;
  } finally {
    release(fd);
  }
}
