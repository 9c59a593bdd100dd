/**
 * `rosterbox jobs approve|cancel --config FILE JOB`: decides a held job.
 * With the appliance stopped the decision is carried out at once; with it
 * running (it holds the data directory) the decision is recorded and the
 * appliance carries it out within a second.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { finalizeSubmission } from "../inbox/submission.ts";
import { carryOutDecision, DecisionError, requestDecision, type Decision } from "../jobs/decide.ts";
import { lockDataDir } from "../store/lock.ts";
import { openStore } from "../store/mod.ts";

/**
 * @example await jobsCommand(["approve", "--config", "/etc/rosterbox/rosterbox.yaml", "20261124T213301Z-3f9a1c"]) // 0
 */
export async function jobsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let args;
  try {
    args = parseArgs({ args: rest, options: { config: { type: "string" } }, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`rosterbox jobs: ${(err as Error).message}\n`);
    return 2;
  }
  const jobId = args.positionals[0];
  if ((sub !== "approve" && sub !== "cancel") || !args.values.config || !jobId) {
    process.stderr.write("usage: rosterbox jobs approve|cancel --config FILE JOB\n");
    return 2;
  }
  let config;
  try {
    config = loadConfig(args.values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  let release: (() => void) | undefined;
  try {
    release = lockDataDir(config.data_dir);
  } catch {
    release = undefined; // the appliance is running: it carries the decision out
  }
  const store = openStore(config.data_dir);
  try {
    const job = requestDecision(store, jobId, sub as Decision, process.env.USER ?? "cli");
    if (!release) {
      process.stdout.write(`${sub === "approve" ? "approval" : "cancellation"} of ${jobId} recorded; the running appliance carries it out\n`);
      return 0;
    }
    const done = await carryOutDecision(store, config.data_dir, job);
    finalizeSubmission(store, config.data_dir, done);
    process.stdout.write(`${jobId}: ${done.status}. ${done.message}\n`);
    return done.status === "complete" || done.status === "cancelled" ? 0 : 1;
  } catch (err) {
    if (!(err instanceof DecisionError)) throw err;
    process.stderr.write(`rosterbox jobs ${sub}: ${err.message}\n`);
    return 1;
  } finally {
    await store.close();
    release?.();
  }
}
