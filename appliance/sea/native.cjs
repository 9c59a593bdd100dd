/**
 * Loads a native addon inside the single-file binary. `require("x.node")`
 * cannot read from the executable, so each addon ships as a SEA asset, is
 * written once to a cache directory (temp file + rename, so a crash never
 * leaves half a library behind) and opened with `process.dlopen`.
 *
 * The build (appliance/build.mjs) points lmdb's, ssh2's and cpu-features'
 * loading here; outside a SEA (the bundle run by plain `node`, for debugging)
 * the addon is read from the folder the build copied it to.
 */
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createHash } = require("node:crypto");

const loaded = new Map();
let dir;

function sea() {
  try {
    const s = require("node:sea");
    return s.isSea() ? s : undefined;
  } catch {
    return undefined;
  }
}

/** A private, writable directory: ROSTERBOX_CACHE_DIR, systemd's CacheDirectory=, XDG, ~/.cache, else /tmp. */
function cacheDir() {
  if (dir) return dir;
  const env = process.env;
  const home = os.homedir();
  const candidates = [
    env.ROSTERBOX_CACHE_DIR,
    env.CACHE_DIRECTORY?.split(":")[0] && path.join(env.CACHE_DIRECTORY.split(":")[0], "rosterbox"),
    env.XDG_CACHE_HOME && path.join(env.XDG_CACHE_HOME, "rosterbox"),
    home && home !== "/" && path.join(home, ".cache", "rosterbox"),
    path.join(os.tmpdir(), `rosterbox-${process.getuid?.() ?? "user"}`),
  ].filter(Boolean);
  const problems = [];
  for (const base of candidates) {
    const d = base;
    try {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
      // A shared directory (e.g. /tmp) must be ours, or someone else could plant a library.
      const st = fs.statSync(d);
      if (process.getuid && st.uid !== process.getuid()) throw new Error("owned by another user");
      fs.accessSync(d, fs.constants.W_OK);
      return (dir = d);
    } catch (err) {
      problems.push(`${d}: ${err.message}`);
    }
  }
  throw new Error(`rosterbox: no writable cache directory for native libraries (set ROSTERBOX_CACHE_DIR)\n${problems.join("\n")}`);
}

/** The addon's file: extracted from the binary unless an identical copy is there already. */
function extract(s, name) {
  const bytes = Buffer.from(s.getAsset(name));
  // Named by content: a new binary never opens an older copy, nor another binary's.
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const file = path.join(cacheDir(), name.replace(/\.node$/, `-${hash}.node`));
  try {
    if (fs.readFileSync(file).equals(bytes)) return file;
  } catch {}
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, bytes, { mode: 0o500 });
  fs.renameSync(tmp, file);
  return file;
}

/** `require` for the addon shipped as asset `name` (e.g. "lmdb.node"). */
function loadNative(name) {
  if (loaded.has(name)) return loaded.get(name);
  const s = sea();
  const file = s ? extract(s, name) : path.join(globalThis.__rosterboxBundleDir || __dirname, "native", name);
  const mod = { exports: {} };
  process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
  loaded.set(name, mod.exports);
  return mod.exports;
}

module.exports = { loadNative };
