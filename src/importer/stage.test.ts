import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore, tempDir } from "../../test/_bundle.ts";
import type { SourceEvent } from "../formats/types.ts";
import { ResultsWriter } from "./results.ts";
import { stagePackage, StageStopped } from "./stage.ts";

describe("stagePackage", () => {
  it("stops at the next batch once its stop signal is aborted, with StageStopped", async () => {
    const dataDir = tempDir("rosterbox-stage-");
    const store = openStore(dataDir);
    const results = new ResultsWriter(join(dataDir, "results.csv"));
    const stop = new AbortController();
    let batches = 0;
    async function* endless(): AsyncGenerator<SourceEvent[]> {
      for (;;) {
        if (++batches === 3) stop.abort();
        yield [];
      }
    }
    try {
      const staging = stagePackage(
        { store, staging: store.staging("job1"), runsDir: store.runsDir("job1"), tenant: "t", results, counts: {}, stop: stop.signal },
        () => endless(),
      );
      await expect(staging).rejects.toThrow(StageStopped);
      expect(batches).toBe(3);
    } finally {
      results.close();
      await store.dropStaging("job1");
      expect(existsSync(store.runsDir("job1"))).toBe(false);
      await store.close();
    }
  });
});
