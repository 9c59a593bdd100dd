// A worker's bundled source (the job worker, src/jobs/worker.ts, and the SFTP worker,
// src/intake/sftp/mod.ts, start theirs with `eval: true`): an embedded asset in the
// binary, the file beside this bundle when run by plain `node` (debugging), where the
// eval'd worker is told which folder that is.
//
// In the binary the eval'd code is a small boot that compiles the asset with V8's code
// cache for it (`<asset>.cache`, made by appliance/build.mjs with this Node: compiling the
// job worker's 1.3 MB bundle took ≈40 ms a start, and running its modules' top level
// another ≈35–85 ms of compiling functions). A cache V8 refuses (another V8 or flags) is
// said on stderr, and the worker compiles as it did without one.
(() => {
  const head = "(function (exports, require, module, __filename, __dirname) {";
  const tail = "\n})";
  /** The boot code: `load` is an expression giving `{ source, cachedData }` inside the worker. */
  const boot = (asset, load, after = "") => `(() => {
  const vm = require("node:vm");
  const { source, cachedData } = ${load};
  const script = new vm.Script(${JSON.stringify(head)} + source + ${JSON.stringify(tail)}, { filename: ${JSON.stringify(asset)}, cachedData });
  if (cachedData && script.cachedDataRejected) process.stderr.write("rosterbox: the code cache of ${asset} was refused (built with another Node?); compiling it instead\\n");
  script.runInThisContext()(typeof exports === "undefined" ? {} : exports, require, typeof module === "undefined" ? undefined : module, __filename, __dirname);
  ${after}
})();`;
  const fromSea = (asset) => `(() => {
    const sea = require("node:sea");
    let cachedData;
    try { cachedData = Buffer.from(sea.getAsset(${JSON.stringify(`${asset}.cache`)})); } catch {}
    return { source: sea.getAsset(${JSON.stringify(asset)}, "utf8"), cachedData };
  })()`;

  globalThis.__rosterboxWorkerSource = (asset = "worker.cjs") => {
    let sea;
    try { sea = require("node:sea"); } catch {}
    if (sea && sea.isSea()) return boot(asset, fromSea(asset));
    const source = require("node:fs").readFileSync(require("node:path").join(__dirname, asset), "utf8");
    return `globalThis.__rosterboxBundleDir = ${JSON.stringify(__dirname)};\n${source}`;
  };

  /**
   * For the build: boot code that compiles `file` (a worker bundle in `dir`) as the binary
   * will, runs its top level, and posts the code cache V8 makes of what it compiled.
   * Only for a worker whose top level waits for messages (the job worker).
   */
  globalThis.__rosterboxWorkerCacheMaker = (asset, dir) =>
    `globalThis.__rosterboxBundleDir = ${JSON.stringify(dir)};\n` +
    boot(asset, `({ source: require("node:fs").readFileSync(${JSON.stringify(require("node:path").join(dir, asset))}, "utf8"), cachedData: undefined })`,
      `require("node:worker_threads").parentPort.postMessage(script.createCachedData());`);
})();
