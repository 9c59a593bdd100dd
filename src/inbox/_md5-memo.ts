/**
 * MD5s already taken of files in the drop tree, so that a manifest check
 * does not read a file a second time.
 *
 * The SFTP server hashes every upload for its log line as it arrives
 * (`intake/sftp/_upload-md5.ts`); the `.done` manifest that follows names
 * the same files with their MD5s, and checking them read every byte again
 * (1.6 s of CPU per GiB here, before the import could start). A hash is
 * remembered with the identity of the file it read — device, inode, size and
 * modification time, taken before and after reading — and used only for a
 * file that still has that identity: a file written again, truncated or
 * replaced by another is hashed anew, as is one whose time the client set
 * after the upload (`put -p`, WinSCP's default). (A client that rewrites a file and
 * then sets its old modification time back gets the old hash; it also
 * writes the manifest, so it could as well have written any checksum.)
 *
 * @module
 */
import { stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";

/** Hashes remembered at most: a night's submissions, and a bound on memory. */
const MAX_REMEMBERED = 4096;

interface Remembered {
  size: bigint;
  mtimeNs: bigint;
  md5: Promise<string | undefined>;
}

const remembered = new Map<string, Remembered>();

const fileKey = (s: BigIntStats) => `${s.dev}:${s.ino}`;

/**
 * Remembers the MD5 being taken of the file `before` describes (`fstat`
 * before its first byte is read). `md5` resolves to the hash, or undefined
 * when it could not be taken or the file changed while it was read.
 *
 * @example rememberMd5(fstatSync(fd, { bigint: true }), md5OfDescriptor(fd, release));
 */
export function rememberMd5(before: BigIntStats, md5: Promise<string | undefined>): void {
  const key = fileKey(before);
  remembered.delete(key);
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  remembered.set(key, { size: before.size, mtimeNs: before.mtimeNs, md5 });
}

/**
 * The remembered MD5 of the file at `path`, if it is still the file that was
 * hashed; undefined otherwise (hash it). `now`: its `stat` (bigint), when
 * the caller has just taken it.
 *
 * @example const md5 = (await recallMd5(path)) ?? (await md5File(path));
 */
export async function recallMd5(path: string, now?: BigIntStats): Promise<string | undefined> {
  now ??= await stat(path, { bigint: true }).catch(() => undefined);
  if (!now) return undefined;
  const r = remembered.get(fileKey(now));
  if (!r || r.size !== now.size || r.mtimeNs !== now.mtimeNs) return undefined;
  return r.md5;
}
