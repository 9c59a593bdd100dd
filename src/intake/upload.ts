/**
 * Web upload: a multipart/form-data body streamed straight to files in a
 * private folder (busboy; nothing held in memory), bounded in size and file
 * count, with names reduced to a plain file name. The caller hands the
 * complete files to the inbox (`takeUpload`), the same path as a drop.
 *
 * A form's fields are read as they arrive: `check(fields)` runs before the
 * first file is written, so a request without its CSRF token writes nothing.
 *
 * @module
 */
import busboy from "busboy";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomUUID } from "node:crypto";

export interface ReceivedUpload {
  /** The folder holding the files; remove it once the inbox has taken them. */
  dir: string;
  files: string[];
  fields: Record<string, string>;
  bytes: number;
}

/** A refused upload; `status` is the HTTP status to answer with. Nothing is kept. */
export class UploadError extends Error {
  override name = "UploadError";
  constructor(message: string, readonly status: 400 | 403 | 413) {
    super(message);
  }
}

export interface UploadLimits {
  maxBytes: number;
  maxFiles: number;
}

/** A browser or script may send a path ("C:\\sis\\users.csv"): keep the file name only, and never a hidden one. */
export function safeFileName(name: string): string | undefined {
  const plain = basename(name.replaceAll("\\", "/")).trim();
  if (plain === "" || plain.startsWith(".") || /[\x00-\x1f]/.test(plain) || plain.length > 255) return undefined;
  return plain;
}

/**
 * Streams the files of `request` into a new folder under `uploadsDir`.
 *
 * @example
 * const up = await receiveUpload(c.req.raw, "/var/lib/rosterbox/uploads", { maxBytes: 2 ** 31, maxFiles: 50 }, (f) => f._csrf === token);
 */
export async function receiveUpload(request: Request, uploadsDir: string, limits: UploadLimits, check: (fields: Record<string, string>) => void): Promise<ReceivedUpload> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) throw new UploadError("send the files as multipart/form-data", 400);
  if (!request.body) throw new UploadError("the request has no body", 400);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw new UploadError(`the upload is ${declared} bytes; the limit is ${limits.maxBytes} bytes`, 413);
  const dir = join(uploadsDir, randomUUID());
  mkdirSync(dir, { recursive: true });
  const fields: Record<string, string> = {};
  const files: string[] = [];
  let bytes = 0;
  let checked = false;
  // Each file's write, settled to its error (or undefined): see where they are pushed.
  const writes: Promise<UploadError | undefined>[] = [];
  try {
    const parser = busboy({ headers: { "content-type": type }, limits: { files: limits.maxFiles, fileSize: limits.maxBytes, fields: 20, fieldSize: 4096 } });
    let failure: UploadError | undefined;
    const fail = (err: UploadError) => {
      failure ??= err;
    };
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (_field, stream, info) => {
      if (!checked) {
        try {
          check(fields);
          checked = true;
        } catch (err) {
          fail(err instanceof UploadError ? err : new UploadError((err as Error).message, 403));
        }
      }
      const name = safeFileName(info.filename ?? "");
      if (failure || !name || info.filename === "") {
        if (!failure && info.filename) fail(new UploadError(`"${info.filename}" is not a file name rosterbox keeps (hidden, empty or with control characters)`, 400));
        stream.resume();
        return;
      }
      if (files.includes(name)) {
        fail(new UploadError(`${name} is in the upload twice; send each file once`, 400));
        stream.resume();
        return;
      }
      files.push(name);
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on("limit", () => fail(new UploadError(`${name} is larger than the upload limit of ${limits.maxBytes} bytes`, 413)));
      // Handled at once: when the client goes away mid-file, busboy destroys this
      // stream and the write fails while nothing is awaiting it yet, which
      // Node would treat as an unhandled rejection and exit on. A write that
      // fails on its own (name too long, disk full) stops the parser, which
      // would otherwise wait forever on the dead stream to read on.
      writes.push(pipeline(stream, createWriteStream(join(dir, name))).then(() => undefined, (err: Error) => {
        const failed = new UploadError(`${name} could not be saved: ${err.message}`, 400);
        parser.destroy(failed);
        return failed;
      }));
    });
    parser.on("filesLimit", () => fail(new UploadError(`more than ${limits.maxFiles} files in one upload`, 413)));
    await pipeline(Readable.fromWeb(request.body as import("node:stream/web").ReadableStream), parser);
    const broken = (await Promise.all(writes)).find((err) => err !== undefined);
    if (broken) throw broken;
    if (!checked) check(fields);
    if (failure) throw failure;
    if (bytes > limits.maxBytes) throw new UploadError(`the upload is larger than the limit of ${limits.maxBytes} bytes`, 413);
    if (files.length === 0) throw new UploadError("the upload holds no file; choose at least one", 400);
    return { dir, files, fields, bytes };
  } catch (err) {
    // Let every write end first: one still opening its file would put it
    // back into the folder after the folder is removed.
    await Promise.all(writes);
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof UploadError) throw err;
    throw new UploadError(`the upload could not be read: ${(err as Error).message}`, 400);
  }
}
