/**
 * A OneRoster bundle's files, wherever they are: a folder, a .zip, or the
 * individual files named on a command line. Zip entries are read straight
 * from the archive (nothing is extracted to disk, so no entry name can
 * escape anywhere).
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import yauzl from "yauzl";
import { FileError } from "../types.ts";

export interface Bundle {
  /** File names (no folders), as people see them in results. */
  readonly names: readonly string[];
  /** The bytes of one file. */
  open(name: string): Promise<AsyncIterable<Uint8Array>>;
  close(): void;
}

const CHUNK = 1024 * 1024;

/**
 * Opens a bundle from a folder, a zip, or loose files.
 *
 * @example
 * const bundle = await openBundle(["/srv/drop/oneroster.zip"]);
 * bundle.names; // ["manifest.csv", "users.csv", …]
 */
export async function openBundle(paths: readonly string[]): Promise<Bundle> {
  if (paths.length === 1) {
    const only = paths[0]!;
    const info = await stat(only).catch(() => undefined);
    if (!info) throw new FileError(only, 0, "not found");
    if (info.isDirectory()) {
      const names = (await readdir(only, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(only, e.name));
      return looseFiles(names);
    }
    if (/\.zip$/i.test(only)) return openZip(only);
  }
  return looseFiles(paths);
}

function looseFiles(paths: readonly string[]): Bundle {
  const byName = new Map<string, string>();
  for (const p of paths) {
    const name = basename(p);
    if (byName.has(name)) throw new FileError(name, 0, `given twice (${byName.get(name)} and ${p})`);
    byName.set(name, p);
  }
  return {
    names: [...byName.keys()],
    async open(name) {
      return createReadStream(byName.get(name)!, { highWaterMark: CHUNK });
    },
    close() {},
  };
}

async function openZip(path: string): Promise<Bundle> {
  const name = basename(path);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(new FileError(name, 0, `not a readable zip archive (${err.message})`)) : resolve(z!)));
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith("/")) {
        const file = basename(entry.fileName);
        // macOS adds __MACOSX/._name shadows of every file: never data.
        if (!entry.fileName.startsWith("__MACOSX/") && !file.startsWith("._")) {
          if (entries.has(file)) {
            reject(new FileError(name, 0, `holds two files named ${file}; a bundle has one of each at its root`));
            return;
          }
          entries.set(file, entry);
        }
      }
      zip.readEntry();
    });
    zip.on("end", () => resolve());
    zip.on("error", (err: Error) => reject(new FileError(name, 0, `damaged zip archive (${err.message})`)));
    zip.readEntry();
  });
  return {
    names: [...entries.keys()],
    open(file) {
      return new Promise((resolve, reject) =>
        zip.openReadStream(entries.get(file)!, (err, stream) =>
          err ? reject(new FileError(file, 0, `cannot be read from ${name} (${err.message})`)) : resolve(stream!)));
    },
    close() {
      zip.close();
    },
  };
}
