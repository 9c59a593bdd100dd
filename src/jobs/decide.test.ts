import { describe, expect, it } from "vitest";
import { DISTRICT, ENROLLMENTS, openStore, tempDir, writeBundle } from "../../test/_bundle.ts";
import { runImport } from "../importer/run.ts";
import { DecisionError, requestDecision } from "./decide.ts";

describe("deciding a held job", () => {
  it("refuses to approve a held job once a later job of its feed has applied, and anything not held", async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const run = (bundle: string) => runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle] });
    await run(writeBundle(DISTRICT));
    const held = await run(writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n" }));
    expect(held.status).toBe("held");
    const later = await run(writeBundle({ ...DISTRICT, "users.csv": DISTRICT["users.csv"]!.replace("Ada,Lovelace", "Ada,King") }));
    expect(later.status).toBe("complete");
    expect(() => requestDecision(store, held.id, "approve", "test")).toThrow(DecisionError);
    expect(() => requestDecision(store, held.id, "approve", "test")).toThrow(`job ${later.id} of the same feed has been applied since`);
    expect(requestDecision(store, held.id, "cancel", "test").decision).toMatchObject({ decision: "cancel", by: "test" });
    expect(() => requestDecision(store, later.id, "cancel", "test")).toThrow("is complete, not held");
    expect(() => requestDecision(store, "nope", "approve", "test")).toThrow("no job nope");
    await store.close();
  });
});
