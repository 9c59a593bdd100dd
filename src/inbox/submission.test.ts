import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore, tempDir } from "../../test/_bundle.ts";
import type { Feed } from "../config/mod.ts";
import { loadJob, saveJob } from "../store/jobs.ts";
import { finalizeSubmission, takeManifest } from "./submission.ts";

const FEED: Feed = { folder: "Xml", format: "ims-xml", submission: "manifest" };

describe("takeManifest", () => {
  it("waits a bounded time for data files listed before they arrive, then refuses them", async () => {
    const dataDir = tempDir();
    const folder = tempDir();
    const store = openStore(dataDir);
    writeFileSync(join(folder, "early.done"), '<manifest><file name="late.xml" checksum="" checksumhashtype="none"/></manifest>');
    const ctx = { store, dataDir, tenant: "strata", feed: FEED, waitMs: 60_000, firstSeen: 1_000 };
    expect(await takeManifest(folder, "early.done", { ...ctx, now: 30_000 })).toEqual({ state: "waiting" });
    expect(existsSync(join(folder, "early.done"))).toBe(true);
    const outcome = await takeManifest(folder, "early.done", { ...ctx, now: 61_001 });
    expect(outcome).toEqual({ state: "CONTAINSINVALIDFILES", message: "late.xml: not in the folder" });
    expect(readFileSync(join(folder, "early.CONTAINSINVALIDFILES"), "utf8")).toContain('INVALID="not in the folder"');
    expect(existsSync(join(folder, "early.done"))).toBe(false);
    await store.close();
  });

  it("takes a manifest whose files arrived while it waited: copies, a queued job, then X.PROCESSING", async () => {
    const dataDir = tempDir();
    const folder = tempDir();
    const store = openStore(dataDir);
    writeFileSync(join(folder, "a.done"), '<manifest><file name="roster.xml" checksum="" checksumhashtype="none"/></manifest>');
    const ctx = { store, dataDir, tenant: "strata", feed: FEED, waitMs: 60_000, firstSeen: 0, now: 1 };
    expect((await takeManifest(folder, "a.done", ctx)).state).toBe("waiting");
    writeFileSync(join(folder, "roster.xml"), "<enterprise/>");
    const outcome = await takeManifest(folder, "a.done", ctx);
    if (outcome.state !== "queued") throw new Error(`not queued: ${JSON.stringify(outcome)}`);
    expect(existsSync(join(folder, "a.PROCESSING"))).toBe(true);
    expect(readFileSync(join(dataDir, "incoming", outcome.job.id, "roster.xml"), "utf8")).toBe("<enterprise/>");
    expect(loadJob(store, outcome.job.id)).toMatchObject({ status: "queued", submission: { folder, manifest: "a", files: ["roster.xml"] } });
    await store.close();
  });
});

describe("finalizeSubmission", () => {
  it("removes the files it took, never a newer upload of the same name that came while the job ran", async () => {
    const dataDir = tempDir();
    const folder = tempDir();
    const store = openStore(dataDir);
    const ctx = { store, dataDir, tenant: "strata", feed: FEED, waitMs: 60_000, firstSeen: 0, now: 1 };
    const take = async (base: string, files: Record<string, string>) => {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
      writeFileSync(join(folder, `${base}.done`), `<manifest>${Object.keys(files).map((n) => `<file name="${n}" checksum="" checksumhashtype="none"/>`).join("")}</manifest>`);
      const outcome = await takeManifest(folder, `${base}.done`, ctx);
      if (outcome.state !== "queued") throw new Error(`not queued: ${JSON.stringify(outcome)}`);
      return outcome.job;
    };
    const job = await take("monday", { "a.xml": "<enterprise>monday a</enterprise>", "b.xml": "<enterprise>monday b</enterprise>", "c.xml": "<enterprise>monday c</enterprise>" });
    // While it runs: tomorrow's a.xml arrives as SFTP puts it (a new file renamed into place), b.xml is rewritten in place (a share).
    writeFileSync(join(folder, ".a.xml.upload"), "<enterprise>tuesday a</enterprise>");
    renameSync(join(folder, ".a.xml.upload"), join(folder, "a.xml"));
    writeFileSync(join(folder, "b.xml"), "<enterprise>tuesday b, longer</enterprise>");
    saveJob(store, { ...loadJob(store, job.id)!, status: "complete" });
    finalizeSubmission(store, dataDir, loadJob(store, job.id)!);
    expect(readFileSync(join(folder, "a.xml"), "utf8")).toBe("<enterprise>tuesday a</enterprise>");
    expect(readFileSync(join(folder, "b.xml"), "utf8")).toBe("<enterprise>tuesday b, longer</enterprise>");
    expect(existsSync(join(folder, "c.xml"))).toBe(false);
    expect(existsSync(join(folder, "monday.PROCESSING"))).toBe(false);
    expect(readFileSync(join(dataDir, "archive", "strata", job.id, "a.xml"), "utf8")).toBe("<enterprise>monday a</enterprise>");
    await store.close();
  });
});

describe("dated names received twice", () => {
  it("keeps the second strata_2026_11_24.xml as strata_2026_11_24(2).xml, and other names as they are", async () => {
    const { takeQuietFile } = await import("./submission.ts");
    const dataDir = tempDir();
    const folder = tempDir();
    const store = openStore(dataDir);
    const ctx = { store, dataDir, tenant: "strata", feed: { folder: "Xml", format: "ims-xml", submission: "quiet" } as Feed, waitMs: 0, firstSeen: 0 };
    const take = (name: string) => {
      writeFileSync(join(folder, name), "<enterprise/>");
      const outcome = takeQuietFile(folder, name, ctx);
      if (outcome.state !== "queued") throw new Error("not queued");
      expect(existsSync(join(folder, name))).toBe(false);
      return outcome.job;
    };
    expect(take("strata_2026_11_24.xml").files).toEqual(["strata_2026_11_24.xml"]);
    const second = take("strata_2026_11_24.xml");
    expect(second.files).toEqual(["strata_2026_11_24(2).xml"]);
    expect(existsSync(join(dataDir, "incoming", second.id, "strata_2026_11_24(2).xml"))).toBe(true);
    expect(second.submission!.files).toEqual(["strata_2026_11_24.xml"]);
    expect(take("strata_2026_11_24.xml").files).toEqual(["strata_2026_11_24(3).xml"]);
    expect(take("roster.xml").files).toEqual(["roster.xml"]);
    expect(take("roster.xml").files).toEqual(["roster.xml"]);
    await store.close();
  });
});
