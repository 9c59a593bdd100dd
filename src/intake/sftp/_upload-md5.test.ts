import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, closeSync, openSync, rmSync, writeFileSync, type BigIntStats } from "node:fs";
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

  it("tells what it hashes, as the file was when asked; a file written to meanwhile gets no hash to remember", async () => {
    const file = join(tempDir(), "users.csv");
    const body = randomBytes(2 * 1024 * 1024);
    writeFileSync(file, body);
    const told: { before: BigIntStats; md5: Promise<string | undefined> }[] = [];
    const remember = (before: BigIntStats, md5: Promise<string | undefined>) => void told.push({ before, md5 });
    const fd = openSync(file, "r");
    const logged = await md5OfDescriptor(fd, () => {}, remember);
    closeSync(fd);
    expect(logged).toBe(createHash("md5").update(body).digest("hex"));
    expect(told).toHaveLength(1);
    expect(told[0]!.before.size).toBe(BigInt(body.length));
    expect(await told[0]!.md5).toBe(logged);

    // Appended to after it was queued, before it was read (a resumed upload): logged, not remembered.
    const again = openSync(file, "r");
    const pending = md5OfDescriptor(again, () => {}, remember);
    appendFileSync(file, "more");
    const loggedAgain = await pending;
    closeSync(again);
    expect(loggedAgain).toBe(createHash("md5").update(Buffer.concat([body, Buffer.from("more")])).digest("hex"));
    expect(await told[1]!.md5).toBeUndefined();
  });
});
