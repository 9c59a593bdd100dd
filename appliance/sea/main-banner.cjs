// A worker's bundled source (the job worker, src/jobs/worker.ts, and the SFTP worker,
// src/intake/sftp/mod.ts, start theirs with `eval: true`): an
// embedded asset in the binary, the file beside this bundle when run by plain `node`
// (debugging), where the eval'd worker is told which folder that is.
globalThis.__rosterboxWorkerSource = (asset = "worker.cjs") => {
  let sea;
  try { sea = require("node:sea"); } catch {}
  if (sea && sea.isSea()) return sea.getAsset(asset, "utf8");
  const source = require("node:fs").readFileSync(require("node:path").join(__dirname, asset), "utf8");
  return `globalThis.__rosterboxBundleDir = ${JSON.stringify(__dirname)};\n${source}`;
};
