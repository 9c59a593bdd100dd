import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/_bundle.ts";
import { md5OfDescriptor } from "./_upload-md5.ts";

describe("md5OfDescriptor", () => {
  it("hashes what was received even after the file is gone from its folder, then releases the descriptor", async () => {
    const file = join(tempDir(), "users.csv");
    const body = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(file, body);
    const fd = openSync(file, "r");
    rmSync(file); // picked up by the inbox, say
    writeFileSync(file, "another upload under the same name");
    const released: number[] = [];
    expect(await md5OfDescriptor(fd, (n) => released.push(n))).toBe(createHash("md5").update(body).digest("hex"));
    expect(released).toEqual([fd]);
    closeSync(fd);
  });

  it("gives undefined for a descriptor it cannot read, and still releases it", async () => {
    const fd = openSync(join(tempDir(), "x"), "w");
    const released: number[] = [];
    expect(await md5OfDescriptor(fd, (n) => released.push(n))).toBeUndefined();
    expect(released).toEqual([fd]);
    closeSync(fd);
  });
});
