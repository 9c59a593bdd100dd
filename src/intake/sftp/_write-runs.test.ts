import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/_bundle.ts";
import { WriteRuns } from "./_write-runs.ts";

/** Queues the writes in one turn, as ssh2 hands over the WRITEs of one socket read; resolves when all replied. */
function writeAll(runs: WriteRuns, writes: [number, string][]): Promise<(Error | null)[]> {
  return Promise.all(writes.map(([offset, text]) => new Promise<Error | null>((resolve) => runs.add(offset, Buffer.from(text), resolve))));
}

describe("WriteRuns", () => {
  it("gathers WRITEs that continue one another, and only those, into one writev", async () => {
    const path = join(tempDir("rosterbox-runs-"), "upload");
    const fd = openSync(path, "w");
    const runs = new WriteRuns(fd);
    // 0–12 continue one another; 100 jumps ahead, 104 continues it; 2 goes back (overwrites "cc").
    const errors = await writeAll(runs, [[0, "aaaa"], [4, "bbbb"], [8, "cccc"], [100, "XXXX"], [104, "YYYY"], [2, "zz"]]);
    closeSync(fd);
    expect(errors).toEqual([null, null, null, null, null, null]);
    expect(runs.writes).toBe(3);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 12).toString()).toBe("aazzbbbbcccc");
    expect(bytes.subarray(12, 100).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(100).toString()).toBe("XXXXYYYY");
  });

  it("caps a run at `max` WRITEs, and writes what arrives in a later turn as a run of its own", async () => {
    const path = join(tempDir("rosterbox-runs-"), "upload");
    const fd = openSync(path, "w");
    const runs = new WriteRuns(fd, 4);
    await writeAll(runs, Array.from({ length: 10 }, (_, i) => [i * 2, String(i).repeat(2)] as [number, string]));
    expect(runs.writes).toBe(3); // 4 + 4 + 2
    await writeAll(runs, [[20, "AA"]]);
    closeSync(fd);
    expect(runs.writes).toBe(4);
    expect(readFileSync(path, "utf8")).toBe("00112233445566778899AA");
  });

  it("reports a failed write to every WRITE of the run", async () => {
    const path = join(tempDir("rosterbox-runs-"), "upload");
    writeFileSync(path, "");
    const fd = openSync(path, "r"); // read-only: the writev fails (EBADF)
    const errors = await writeAll(new WriteRuns(fd), [[0, "ab"], [2, "cd"]]);
    closeSync(fd);
    expect(errors.map((e) => (e as NodeJS.ErrnoException | null)?.code)).toEqual(["EBADF", "EBADF"]);
  });
});
