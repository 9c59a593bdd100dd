import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { ResultsWriter } from "./results.ts";

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
});
