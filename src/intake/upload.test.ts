import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { receiveUpload, UploadError } from "./upload.ts";

const BOUNDARY = "XyZ";
const part = (name: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`;
const ROWS = "sourcedId,status\n".repeat(2000);
const LIMITS = { maxBytes: 10_000_000, maxFiles: 5 };

/** A multipart request whose body sends `text`, then `end`s it: an error (the socket dropped) or a plain close without the closing boundary. */
function cutRequest(text: string, end: "error" | "close"): Request {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      // Later, as a real client's drop: busboy has started the file's write by then.
      setTimeout(() => (end === "error" ? c.error(new Error("aborted")) : c.close()), 30);
    },
  });
  return new Request("http://rosterbox.test/upload", {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("receiveUpload, when the client goes away mid-file", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  it.each([
    ["the body stream fails (connection reset)", "error", /could not be read: aborted/],
    ["the body ends without its closing boundary", "close", /could not be read: Unexpected end of form/],
  ] as const)("%s: refuses it with a 400, leaves no file behind, and no rejection unhandled", async (_, end, message) => {
    const uploads = mkdtempSync(join(tmpdir(), "rosterbox-upload-"));
    // One file complete, the second cut off half-way.
    const text = `${part("orgs.csv")}${ROWS}\r\n${part("users.csv")}${ROWS}`;
    const err = await receiveUpload(cutRequest(text, end), uploads, LIMITS, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).status).toBe(400);
    expect((err as UploadError).message).toMatch(message);
    // An unhandled rejection surfaces a few ticks after the write fails; give it the time.
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
    expect(readdirSync(uploads)).toEqual([]);
  });

  it("a file that cannot be saved ends the upload at once, with a 400 naming it, though the body goes on", async () => {
    const uploads = mkdtempSync(join(tmpdir(), "rosterbox-upload-"));
    // 200 characters pass safeFileName, but as 400 bytes of UTF-8 the file system refuses the name (ENAMETOOLONG).
    const name = "é".repeat(200) + ".csv";
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename*=UTF-8''${encodeURIComponent(name)}\r\n\r\n`;
    let sent = 0;
    // A client still sending: the body never ends on its own, so only the failed write can end the upload.
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 2));
        c.enqueue(new TextEncoder().encode(sent++ === 0 ? head : ROWS));
      },
    });
    const request = new Request("http://rosterbox.test/upload", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` }, body, duplex: "half" } as RequestInit);
    const err = await receiveUpload(request, uploads, LIMITS, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).status).toBe(400);
    expect((err as UploadError).message).toContain(`${name} could not be saved: ENAMETOOLONG`);
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
    expect(readdirSync(uploads)).toEqual([]);
  }, 10_000);
});
