// The job worker's bundled source (src/jobs/worker.ts starts it with `eval: true`): an
// embedded asset in the binary, the file beside this bundle when run by plain `node`
// (debugging), where the eval'd worker is told which folder that is.
globalThis.__rosterboxWorkerSource = () => {
  let sea;
  try { sea = require("node:sea"); } catch {}
  if (sea && sea.isSea()) return sea.getAsset("worker.cjs", "utf8");
  const source = require("node:fs").readFileSync(require("node:path").join(__dirname, "worker.cjs"), "utf8");
  return `globalThis.__rosterboxBundleDir = ${JSON.stringify(__dirname)};\n${source}`;
};
