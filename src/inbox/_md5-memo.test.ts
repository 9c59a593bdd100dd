import { renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import type { BigIntStats } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { recallMd5, rememberMd5 } from "./_md5-memo.ts";

// A value no file hashes to: seeing it back shows the file was not read again.
const REMEMBERED = "remembered, not computed";

function fileWith(text: string): { path: string; before: BigIntStats } {
  const path = join(tempDir(), "users.csv");
  writeFileSync(path, text);
  return { path, before: statSync(path, { bigint: true }) };
}

describe("remembered MD5s", () => {
  it("are given back for the same file, also once it is renamed into place", async () => {
    const { path, before } = fileWith("sourcedId\nu1\n");
    rememberMd5(before, Promise.resolve(REMEMBERED));
    expect(await recallMd5(path)).toBe(REMEMBERED);
    const moved = join(tempDir(), "users.csv");
    renameSync(path, moved);
    expect(await recallMd5(moved)).toBe(REMEMBERED);
  });

  it("are not given for a file written again, replaced, or gone", async () => {
    const written = fileWith("sourcedId\nu1\n");
    rememberMd5(written.before, Promise.resolve(REMEMBERED));
    writeFileSync(written.path, "sourcedId\nu2\n");
    utimesSync(written.path, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(await recallMd5(written.path)).toBeUndefined();

    // Another file (another inode) of the same size and time in its place.
    const replaced = fileWith("sourcedId\nu1\n");
    rememberMd5({ ...replaced.before, ino: replaced.before.ino + 1n } as BigIntStats, Promise.resolve(REMEMBERED));
    expect(await recallMd5(replaced.path)).toBeUndefined();

    expect(await recallMd5(join(tempDir(), "none.csv"))).toBeUndefined();
  });

  it("a hash that could not be taken is no answer", async () => {
    const { path, before } = fileWith("x");
    rememberMd5(before, Promise.resolve(undefined));
    expect(await recallMd5(path)).toBeUndefined();
  });

  it("are bounded: the oldest is forgotten first", async () => {
    const { path, before } = fileWith("x");
    rememberMd5(before, Promise.resolve(REMEMBERED));
    for (let i = 0; i < 4096; i++) {
      rememberMd5({ dev: -1n, ino: BigInt(i), size: 1n, mtimeNs: 1n } as BigIntStats, Promise.resolve("other"));
    }
    expect(await recallMd5(path)).toBeUndefined();
  });
});
