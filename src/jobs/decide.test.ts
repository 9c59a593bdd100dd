import { describe, expect, it } from "vitest";
import { DISTRICT, ENROLLMENTS, openStore, tempDir, writeBundle } from "../../test/_bundle.ts";
import { runImport } from "../importer/run.ts";
import { loadJob } from "../store/jobs.ts";
import { carryOutDecision, DecisionError, requestDecision } from "./decide.ts";

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

  const heldAfterFirst = async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const run = (bundle: string, dryRun = false) => runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle], dryRun });
    await run(writeBundle(DISTRICT));
    const held = await run(writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n" }));
    expect(held.status).toBe("held");
    return { dataDir, store, run, held };
  };

  it("takes one decision per job: a cancel after an approve still waiting to run is refused, not shown and ignored", async () => {
    const { store, held } = await heldAfterFirst();
    requestDecision(store, held.id, "approve", "ann");
    expect(() => requestDecision(store, held.id, "cancel", "bob")).toThrow(new RegExp(`^job ${held.id} was decided already \\(approve by ann at .+\\); it is being carried out$`));
    expect(loadJob(store, held.id)!.decision).toMatchObject({ decision: "approve", by: "ann" });
    await store.close();
  });

  it("carries out the decision stored, not the copy it was queued with", async () => {
    const { dataDir, store, held } = await heldAfterFirst();
    const queued = requestDecision(store, held.id, "cancel", "ann");
    const stale = { ...queued, decision: { decision: "approve" as const, by: "nobody", at: queued.decision!.at } };
    expect((await carryOutDecision(store, dataDir, stale)).status).toBe("cancelled");
    await store.close();
  });

  it("does not carry out an approval once a later job of the feed has applied while it waited; a dry run does not count", async () => {
    const { dataDir, store, run, held } = await heldAfterFirst();
    expect((await run(writeBundle({ ...DISTRICT, "users.csv": DISTRICT["users.csv"]!.replace("Ada,Lovelace", "Ada,Byron") }), true)).status).toBe("complete");
    const approved = requestDecision(store, held.id, "approve", "ann");
    // While it waits in the tenant's queue, the SIS's next package applies.
    const later = await run(writeBundle({ ...DISTRICT, "users.csv": DISTRICT["users.csv"]!.replace("Ada,Lovelace", "Ada,King") }));
    expect(later.status).toBe("complete");
    const outcome = await carryOutDecision(store, dataDir, approved);
    expect(outcome.status).toBe("held");
    expect(outcome.decision).toBeUndefined();
    expect(outcome.message).toMatch(new RegExp(`^The approval was not carried out: job ${later.id} of the same feed has applied since`));
    expect(() => requestDecision(store, held.id, "approve", "ann")).toThrow(`job ${later.id} of the same feed has been applied since`);
    expect(requestDecision(store, held.id, "cancel", "ann").decision).toMatchObject({ decision: "cancel" });
    await store.close();
  });
});
