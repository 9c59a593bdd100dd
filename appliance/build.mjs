#!/usr/bin/env node
/**
 * `npm run build`: makes dist/rosterbox, one executable that needs no Node,
 * no node_modules and no compiler on the appliance (Node SEA, Node 20):
 *
 *   1. esbuild bundles the CLI and, separately, the job worker and the SFTP worker (CommonJS);
 *   2. the native addons (lmdb, ssh2's sshcrypto, cpu-features), the workers'
 *      sources and V8's code cache of the job worker become SEA assets —
 *      appliance/sea/native.cjs extracts and dlopens the addons at run time,
 *      src/jobs/worker.ts evals a boot (appliance/sea/main-banner.cjs) that
 *      compiles the worker source with its cache;
 *   3. `node --experimental-sea-config` writes the blob, postject injects it
 *      into a (stripped, when `strip` is there) copy of this node binary.
 *
 * node_modules is never modified: an esbuild plugin redirects the addons'
 * `require("….node")` and lmdb's node-gyp-build loader to our loader.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as esbuild from "esbuild";
import { inject } from "postject";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SEA = join(ROOT, "appliance", "sea");
const OUT = join(ROOT, "dist");
const WORK = join(OUT, "sea");
const require = createRequire(import.meta.url);
const started = Date.now();
const step = (what) => console.log(`[build ${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);

/** Asset name → file: the addons the bundles reach, found while bundling. */
const natives = new Map();

function addNative(name, file) {
  if (!existsSync(file)) throw new Error(`native addon ${file} is missing (did npm ci run its install scripts?)`);
  const known = natives.get(name);
  if (known && known !== file) throw new Error(`two native addons named ${name}: ${known} and ${file}`);
  natives.set(name, file);
}

/** Points native loading at appliance/sea/native.cjs; leaves out the optional msgpackr-extract. */
const nativePlugin = {
  name: "rosterbox-native",
  setup(build) {
    const loader = JSON.stringify(join(SEA, "native.cjs"));
    build.onResolve({ filter: /^node-gyp-build-optional-packages$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]lmdb[\\/]/.test(args.importer)) throw new Error(`unexpected node-gyp-build user: ${args.importer}`);
      // The same choice lmdb makes at run time (the prebuild for this Node's ABI), made now.
      const lmdbDir = dirname(args.importer).replace(/[\\/]dist$/, "");
      addNative("lmdb.node", require("node-gyp-build-optional-packages").resolve(lmdbDir));
      return { path: "lmdb.node", namespace: "rb-gyp" };
    });
    build.onResolve({ filter: /\.node$/ }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      addNative(basename(file), file);
      return { path: basename(file), namespace: "rb-native" };
    });
    build.onLoad({ filter: /[\\/]src[\\/]main\.ts$/ }, (args) => ({ contents: withoutDenoMain(readFileSync(args.path, "utf8")), loader: "ts" }));
    // ordered-binary (lmdb's key codec) builds its string reader with a *direct* eval of code
    // that names the module's own `position`, `fromCharCode`, `finishUtf8` and `readString`.
    // Its ES build is scope-hoisted into the bundle, where esbuild renames those (position4, …)
    // and the eval'd reader then reads another module's `position` (msgpackr's): every string
    // key read (getRange, getKeys) loops forever, growing an array until V8 dies with "invalid
    // size error". Its CommonJS build is wrapped in its own function scope, which esbuild leaves
    // unrenamed because of the eval (bundle() checks that this build is the one bundled).
    build.onResolve({ filter: /^ordered-binary$/ }, (args) => ({ path: createRequire(args.importer).resolve("ordered-binary") }));
    build.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: "msgpackr-extract", namespace: "rb-stub" }));
    build.onLoad({ filter: /.*/, namespace: "rb-gyp" }, (args) => ({
      contents: `module.exports = () => require(${loader}).loadNative(${JSON.stringify(args.path)});`,
      loader: "js",
      resolveDir: SEA,
    }));
    build.onLoad({ filter: /.*/, namespace: "rb-native" }, (args) => ({
      contents: `module.exports = require(${loader}).loadNative(${JSON.stringify(args.path)});`,
      loader: "js",
      resolveDir: SEA,
    }));
    // msgpackr requires it in a try/catch and runs without it.
    build.onLoad({ filter: /.*/, namespace: "rb-stub" }, () => ({
      contents: `throw new Error("msgpackr-extract is not part of the rosterbox binary");`,
      loader: "js",
      resolveDir: SEA,
    }));
  },
};

/**
 * src/main.ts ends with a block that runs only under Deno (`deno run src/main.ts`) and uses
 * top-level await, which a CommonJS bundle cannot hold; the binary has no use for it.
 */
function withoutDenoMain(source) {
  return source.replace(/^if \("Deno" in globalThis && \(?import\.meta\b[^\n]*\{\n[\s\S]*?^\}\n?/m, "");
}

async function bundle(entry, outfile, banner) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    banner: { js: banner },
    define: { "import.meta": "__rb_import_meta" },
    plugins: [nativePlugin],
    logLevel: "warning",
    legalComments: "none",
    metafile: true,
  });
  if (result.errors.length) throw new Error(`esbuild failed for ${entry}`);
  const inputs = Object.keys(result.metafile.inputs).map((p) => p.replace(/\\/g, "/"));
  const hoisted = inputs.filter((p) => /node_modules\/ordered-binary\/(?!dist\/index\.cjs$)[^/]*\.[cm]?js$/.test(p));
  if (hoisted.length) throw new Error(`${entry}: ordered-binary bundled from ${hoisted.join(", ")}, not its CommonJS build (see nativePlugin)`);
}

rmSync(WORK, { recursive: true, force: true });
mkdirSync(join(WORK, "native"), { recursive: true });
const shim = readFileSync(join(SEA, "banner.cjs"), "utf8");
await bundle(join(SEA, "entry.mjs"), join(WORK, "main.cjs"), shim + readFileSync(join(SEA, "main-banner.cjs"), "utf8"));
await bundle(join(ROOT, "src", "jobs", "_import_worker.ts"), join(WORK, "worker.cjs"), shim);
await bundle(join(ROOT, "src", "intake", "sftp", "_worker.ts"), join(WORK, "sftp-worker.cjs"), shim);
for (const [name, file] of natives) copyFileSync(file, join(WORK, "native", name));
step(`bundled; native addons: ${[...natives.keys()].join(", ")}`);

/**
 * V8's code cache of a worker bundle, made by this Node (the binary is a copy of it): the
 * binary's boot for the worker (appliance/sea/main-banner.cjs) compiles it the same way.
 */
function codeCacheOf(asset) {
  require(join(SEA, "main-banner.cjs"));
  return new Promise((resolve, reject) => {
    const worker = new Worker(globalThis.__rosterboxWorkerCacheMaker(asset, WORK), { eval: true });
    worker.once("message", (cache) => {
      void worker.terminate();
      resolve(Buffer.from(cache));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker making the code cache of ${asset} exited (${code}) before it made one`)));
  });
}

const assets = { "worker.cjs": join(WORK, "worker.cjs"), "sftp-worker.cjs": join(WORK, "sftp-worker.cjs") };
for (const name of natives.keys()) assets[name] = join(WORK, "native", name);
// The job worker starts for every import; the SFTP worker once a serve (and its top level listens).
writeFileSync(join(WORK, "worker.cjs.cache"), await codeCacheOf("worker.cjs"));
assets["worker.cjs.cache"] = join(WORK, "worker.cjs.cache");
step(`code cache of the job worker: ${(statSync(join(WORK, "worker.cjs.cache")).size / 1e6).toFixed(1)} MB`);
const blob = join(WORK, "sea-prep.blob");
// The code cache spares V8 compiling the bundle at every start: a small import 0.40 → 0.30 s.
writeFileSync(join(WORK, "sea-config.json"), JSON.stringify({ main: join(WORK, "main.cjs"), output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }, null, 2));
const prep = spawnSync(process.execPath, ["--experimental-sea-config", join(WORK, "sea-config.json")], { stdio: "inherit" });
if (prep.status !== 0) throw new Error("node --experimental-sea-config failed");
step("SEA blob written");

// Debug symbols are most of an unstripped node; a copy without them runs the same.
const tmp = join(OUT, `rosterbox.${process.pid}.tmp`);
copyFileSync(process.execPath, tmp);
chmodSync(tmp, 0o755);
const strip = spawnSync("strip", ["--strip-all", tmp], { stdio: "inherit" });
if (strip.error || strip.status !== 0) {
  console.warn("strip not available or failed: the binary keeps node's debug symbols");
  copyFileSync(process.execPath, tmp);
}
step("injecting the blob (postject; its warnings about .note sections are harmless)");
await inject(tmp, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2" });
renameSync(tmp, join(OUT, "rosterbox"));
step(`dist/rosterbox: ${(statSync(join(OUT, "rosterbox")).size / 1e6).toFixed(1)} MB`);
