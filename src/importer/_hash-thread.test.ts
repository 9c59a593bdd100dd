import { createHash } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { hashPackage, listPackage } from "./_hash-thread.ts";

const packageHash = async (paths: string[]) => hashPackage(await listPackage(paths));

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("packageHash", () => {
  it("is SHA-256 over each file's name and SHA-256, in name order, a folder's files and files named alike", async () => {
    const dir = tempDir("rosterbox-hash-");
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, "x");
    writeFileSync(join(dir, "users.csv"), "sourcedId\nu1\n");
    writeFileSync(join(dir, "manifest.csv"), "propertyName,value\n");
    writeFileSync(join(dir, "enrollments.csv"), big);
    mkdirSync(join(dir, "sub"));
    const other = tempDir("rosterbox-hash-");
    writeFileSync(join(other, "b-extra.csv"), "é\n");
    const want = sha256(
      `b-extra.csv\x00${sha256("é\n")}\n` +
        `enrollments.csv\x00${sha256(big)}\n` +
        `manifest.csv\x00${sha256("propertyName,value\n")}\n` +
        `users.csv\x00${sha256("sourcedId\nu1\n")}\n`,
    );
    expect(await packageHash([dir, join(other, "b-extra.csv")])).toBe(want);
    expect((await listPackage([dir, join(other, "b-extra.csv")])).bytes).toBe(13 + 19 + big.length + 3);
  });

  it("counts a file that is not there as empty, and tells contents apart", async () => {
    const dir = tempDir("rosterbox-hash-");
    const gone = join(dir, "gone.csv");
    expect(await packageHash([gone])).toBe(sha256(`gone.csv\x00${sha256("")}\n`));
    writeFileSync(gone, "a\n");
    const one = await packageHash([gone]);
    writeFileSync(gone, "b\n");
    expect(await packageHash([gone])).not.toBe(one);
  });

  it("answers several asked at once, each its own", async () => {
    const dirs = [0, 1, 2, 3].map((i) => {
      const d = tempDir("rosterbox-hash-");
      writeFileSync(join(d, "f.csv"), `row ${i}\n`);
      return d;
    });
    const hashes = await Promise.all(dirs.map((d) => packageHash([d])));
    expect(hashes).toEqual([0, 1, 2, 3].map((i) => sha256(`f.csv\x00${sha256(`row ${i}\n`)}\n`)));
  });

  it("reports a file it cannot read, naming why", async () => {
    const dir = tempDir("rosterbox-hash-");
    // A link to itself: there, but never readable.
    symlinkSync("users.csv", join(dir, "users.csv"));
    await expect(packageHash([join(dir, "users.csv")])).rejects.toThrow(/could not hash the package: .*(ELOOP|symbolic links)/);
  });
});
