/**
 * Vitest's global setup: every test run gets one temp folder of its own,
 * made the `TMPDIR` of the test workers and of every process they start
 * (the CLI, sshd, Chromium), and removed when the run ends. Tests make
 * their data dirs, bundles and stores with `os.tmpdir()` and need not each
 * clean up; before this, a full run left some 2 GB in `/tmp`.
 *
 * `ROSTERBOX_KEEP_TMP=1` keeps the folder (its path is printed) to look
 * into after a failure.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "rosterbox-tests-"));
  process.env.TMPDIR = root;
  return () => {
    if (process.env.ROSTERBOX_KEEP_TMP === "1") {
      process.stdout.write(`test temp folder kept: ${root}\n`);
      return;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
