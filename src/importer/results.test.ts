import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { SLOT_BYTES } from "./_file-sink.ts";
import { ResultsWriter } from "./results.ts";
import { ACTIONS, STATUSES } from "./_results-codec.ts";

describe("ResultsWriter", () => {
  it("quotes the fields that need it, file by file", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    const row = { line: 2, entity: "users", sourcedId: "u1", action: "create", status: "SUCCESS", message: "" } as const;
    out.write({ ...row, file: "users, spring.csv" });
    out.write({ ...row, file: "users, spring.csv", line: 3, action: "skip", status: "ERROR", message: 'role: "pupil" is not a role' });
    out.write({ ...row, file: "users.csv", line: 4 });
    out.close();
    expect(readFileSync(path, "utf8").split("\n")).toEqual([
      "file,line,entity,sourcedId,action,status,message",
      '"users, spring.csv",2,users,u1,create,SUCCESS,',
      '"users, spring.csv",3,users,u1,skip,ERROR,"role: ""pupil"" is not a role"',
      "users.csv,4,users,u1,create,SUCCESS,",
      "",
    ]);
  });

  it("writes every row whole across its buffer's flushes: long messages, wide characters, any line number", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    const want = ["file,line,entity,sourcedId,action,status,message"];
    for (let i = 0; i < 5_000; i++) {
      const line = [0, 9, 10, 99, 100, 4_294_967_295][i % 6]! + i;
      const sourcedId = i % 7 === 0 ? `Zoë-${i}` : i % 11 === 0 ? `u,"${i}"` : i % 13 === 0 ? `u\r\n${i}` : `u${i}`;
      const message = i === 1_234 ? "x".repeat(100_000) : i % 5 === 0 ? `名前 "${i}", again` : "";
      if (message === "" && i % 2 === 1) out.unchanged("users.csv", line, "users", sourcedId);
      else out.write({ file: "users.csv", line, entity: "users", sourcedId, action: "unchanged", status: "SUCCESS", message });
      const quoted = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      want.push(`users.csv,${line},users,${quoted(sourcedId)},unchanged,SUCCESS,${quoted(message)}`);
    }
    out.close();
    expect(readFileSync(path, "utf8")).toBe(want.join("\n") + "\n");
  });

  it("writes a row longer than one of the writer thread's buffers whole, in its place", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    const huge = "é".repeat(SLOT_BYTES);
    out.unchanged("users.csv", 2, "users", "u1");
    out.write({ file: "users.csv", line: 3, entity: "users", sourcedId: "u2", action: "skip", status: "ERROR", message: huge });
    out.unchanged("users.csv", 4, "users", "u3");
    out.close();
    expect(readFileSync(path, "utf8")).toBe(
      `file,line,entity,sourcedId,action,status,message\nusers.csv,2,users,u1,unchanged,SUCCESS,\nusers.csv,3,users,u2,skip,ERROR,${huge}\nusers.csv,4,users,u3,unchanged,SUCCESS,\n`,
    );
  });

  it("keeps a file's name and entity for rows long after they were handed over, through every buffer of the pool", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    // Rows of about 25 bytes as handed over: far more than the pool's 16 buffers of 1 MiB hold.
    const rows = 1_000_000;
    for (let i = 0; i < rows; i++) out.unchanged("enrollments.csv", i + 2, "enrollments", `e${i}`);
    out.write({ file: "users.csv", line: 2, entity: "users", sourcedId: "u1", action: "update", status: "WARNING", message: "a, b" });
    out.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.length).toBe(rows + 3);
    expect(lines[1]).toBe("enrollments.csv,2,enrollments,e0,unchanged,SUCCESS,");
    for (const i of [1, 77_777, 500_000, rows - 1]) expect(lines[i + 1]).toBe(`enrollments.csv,${i + 2},enrollments,e${i},unchanged,SUCCESS,`);
    expect(lines[rows + 1]).toBe('users.csv,2,users,u1,update,WARNING,"a, b"');
    expect(lines.filter((l) => !l.startsWith("enrollments.csv,") && !l.startsWith("users.csv,"))).toEqual([lines[0], ""]);
  });

  it("writes rows whose file name is too long for a compact record, and the rows after them", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    const files = Array.from({ length: 300 }, (_, i) => `${"f".repeat(250)}${i}.csv`).join(" ");
    out.unchanged("users.csv", 2, "users", "u1");
    out.write({ file: files, line: 0, entity: "", sourcedId: "", action: "skip", status: "SUCCESS", message: "identical" });
    out.unchanged("users.csv", 3, "users", "u2");
    out.close();
    expect(readFileSync(path, "utf8").split("\n")).toEqual([
      "file,line,entity,sourcedId,action,status,message",
      "users.csv,2,users,u1,unchanged,SUCCESS,",
      `${files},0,,,skip,SUCCESS,identical`,
      "users.csv,3,users,u2,unchanged,SUCCESS,",
      "",
    ]);
  });

  it("writes every action and status by name: the writer thread's own list of them agrees with the codes", () => {
    const path = join(tempDir(), "job.csv");
    const out = new ResultsWriter(path);
    const want = ["file,line,entity,sourcedId,action,status,message"];
    let line = 2;
    for (const action of ACTIONS) {
      for (const status of STATUSES) {
        out.write({ file: "users.csv", line, entity: "users", sourcedId: "u1", action, status, message: "" });
        want.push(`users.csv,${line++},users,u1,${action},${status},`);
      }
    }
    out.close();
    expect(readFileSync(path, "utf8")).toBe(want.join("\n") + "\n");
  });
});
