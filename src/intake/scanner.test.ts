import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config/mod.ts";
import type { TakeOutcome } from "../inbox/submission.ts";
import { openStore, type Store } from "../store/mod.ts";
import { DropScanner } from "./scanner.ts";
import { until } from "../../test/_until.ts";

/** Linux refuses any path of PATH_MAX (4096) bytes or more, while a folder just short of it can still be listed. */
const PATH_MAX = 4096;

/**
 * A folder whose path is `length` bytes long, holding `name`: made as a short
 * folder and renamed into place, since the file's own path is too long to create.
 */
function deepFolder(base: string, length: number, name: string): string {
  let parent = base;
  while (length - parent.length - 1 > 255) {
    parent = join(parent, "d".repeat(200));
    mkdirSync(parent);
  }
  const dir = join(parent, "s".repeat(length - parent.length - 1));
  const short = join(base, "s");
  mkdirSync(short);
  writeFileSync(join(short, name), "<enterprise/>");
  renameSync(short, dir);
  return dir;
}

describe("DropScanner", () => {
  let base: string;
  let store: Store;
  let scanner: DropScanner | undefined;
  /** A folder to move back to a short path before the temp root is removed, which cannot unlink what is below it. */
  let deep: string | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "rosterbox-scanner-"));
    store = openStore(join(base, "data"));
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(async () => {
    scanner?.stop();
    if (deep) renameSync(deep, join(base, "back"));
    deep = undefined;
    process.off("unhandledRejection", onUnhandled);
    await store.close();
  });

  it("reports a file it cannot stat (not ENOENT) as a problem naming it, and goes on scanning", async () => {
    // A real stat failure that listing the folder does not share: the folder's
    // path leaves room for "u.xml" (5 bytes) but not for "users.xml".
    const share = (deep = deepFolder(base, PATH_MAX - 8, "users.xml"));
    const bad = join(share, "users.xml");
    const config = parseConfig(`data_dir: ${join(base, "data")}
tenants:
  - id: strata
    feeds:
      - { folder: Xml, format: ims-xml, submission: quiet, quiet_seconds: 1, watch: ${share} }
`, join(base, "rosterbox.yaml"), {});
    const problems: [string, string][] = [];
    const outcomes: [string, TakeOutcome][] = [];
    scanner = new DropScanner({
      config, store, intervalMs: 50,
      onOutcome: (_, where, outcome) => outcomes.push([where, outcome]),
      onProblem: (tenant, message) => problems.push([tenant, message]),
    });
    scanner.start();

    const [tenant, message] = await until("the stat failure reported", () => problems.find(([, m]) => m.includes("ENAMETOOLONG")), 10_000);
    expect(tenant).toBe("strata");
    expect(message.startsWith(`${bad}: ENAMETOOLONG`)).toBe(true);

    // Passes go on: a good file dropped into the same share afterwards is taken.
    const good = join(share, "u.xml");
    writeFileSync(good, "<enterprise/>");
    const [, outcome] = await until("the good file taken", () => outcomes.find(([where]) => where === good), 10_000);
    expect(outcome.state).toBe("queued");
    // The same failure again and again is told once, not at every pass.
    expect(problems.filter(([, m]) => m.includes("ENAMETOOLONG"))).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });
});
