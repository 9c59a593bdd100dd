/**
 * Manifest (`.done`) files: the XML a SIS drops beside its data files to
 * say "these files are complete" (CONTRACT.md, Manifest submission).
 *
 * ```xml
 * <manifest>
 *   <file name="users.csv" checksum="9e107d9d372bb6826bd81d3542a419d6" checksumhashtype="md5"/>
 * </manifest>
 * ```
 *
 * {@link parseManifest} reads one (a manifest that is not well-formed, or
 * not of this layout, is `INVALIDSCHEMA`); {@link checkManifestFiles} checks
 * each listed file against the folder, streaming MD5; {@link markInvalid}
 * writes `INVALID="reason"` onto each bad `<file>` for the renamed
 * `.CONTAINSINVALIDFILES` copy the SIS will read.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { SaxesParser } from "saxes";
import { recallMd5 } from "./_md5-memo.ts";

export interface ManifestFile {
  name: string;
  checksum: string;
  hashType: "md5" | "none";
  /** The hash type as written, when it is one we do not support. */
  unsupportedHashType?: string;
  /** Offset in the text just before the end of this `<file …>` tag (where INVALID goes). */
  tagEnd: number;
  line: number;
}

export interface Manifest {
  files: ManifestFile[];
}

/** Why a manifest is `INVALIDSCHEMA`. */
export class ManifestSchemaError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}${line ? ` line ${line}` : ""}: ${message}`);
    this.name = "ManifestSchemaError";
  }
}

/** Manifests are small; a bigger one is not a manifest. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Parses a manifest's text. DOCTYPEs and entities are refused.
 *
 * @example parseManifest('<manifest><file name="u.csv" checksum="" checksumhashtype="none"/></manifest>', "x.done")
 */
export function parseManifest(text: string, file: string): Manifest {
  if (text.length > MAX_MANIFEST_BYTES) throw new ManifestSchemaError(file, 0, `is larger than ${MAX_MANIFEST_BYTES} bytes; a manifest lists files`);
  const parser = new SaxesParser({ position: true });
  const files: ManifestFile[] = [];
  let depth = 0;
  let root = "";
  let failure: ManifestSchemaError | undefined;
  const fail = (message: string) => {
    failure ??= new ManifestSchemaError(file, parser.line, message);
  };
  parser.on("doctype", () => fail("DOCTYPE declarations are not allowed"));
  parser.on("error", (err) => fail(`not well-formed XML: ${err.message.replace(/^[^:]*:\d+:\d+: /, "")}`));
  parser.on("opentag", (tag) => {
    depth++;
    if (depth === 1) {
      root = tag.name;
      if (tag.name !== "manifest") fail(`the root element is <${tag.name}>; expected <manifest>`);
      return;
    }
    if (depth !== 2) return fail(`<${tag.name}> is nested too deep; <manifest> holds only <file/> elements`);
    if (tag.name !== "file") return fail(`<${tag.name}> is not expected in <manifest>; only <file/>`);
    const attrs = tag.attributes as Record<string, string>;
    const byLower = new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v]));
    const name = byLower.get("name");
    if (name === undefined || name.trim() === "") return fail("a <file> has no name attribute");
    const type = (byLower.get("checksumhashtype") ?? "").trim().toLowerCase();
    const hashType = type === "md5" ? "md5" : "none";
    // The tag ends at ">" or "/>": INVALID is inserted before that.
    const end = parser.position - (tag.isSelfClosing ? 2 : 1);
    files.push({
      name: name.trim(), checksum: (byLower.get("checksum") ?? "").trim().toLowerCase(), hashType,
      ...(type === "" || type === "none" || type === "md5" ? {} : { unsupportedHashType: byLower.get("checksumhashtype")! }),
      tagEnd: end, line: parser.line,
    });
  });
  parser.on("closetag", () => {
    depth--;
  });
  try {
    parser.write(text).close();
  } catch (err) {
    fail(`not well-formed XML: ${(err as Error).message.replace(/^[^:]*:\d+:\d+: /, "")}`);
  }
  if (failure) throw failure;
  if (root === "") throw new ManifestSchemaError(file, 1, "is empty; expected <manifest> with <file/> elements");
  if (files.length === 0) throw new ManifestSchemaError(file, 1, "lists no <file/>; at least one is needed");
  return { files };
}

/**
 * What is wrong with each listed file, by its index in the manifest: not a
 * plain name in this folder, listed twice, an unsupported hash type,
 * missing, empty, or a checksum that differs. An empty map means all good.
 *
 * @example const invalid = await checkManifestFiles("/srv/drop/strata/OneRoster", manifest);
 */
export async function checkManifestFiles(folder: string, manifest: Manifest): Promise<Map<number, string>> {
  const invalid = new Map<number, string>();
  const seen = new Set<string>();
  for (const [i, f] of manifest.files.entries()) {
    if (f.name.includes("/") || f.name.includes("\\") || f.name === "." || f.name === ".." || f.name.startsWith(".")) {
      invalid.set(i, "not a file name in this folder (no paths, no hidden files)");
      continue;
    }
    if (seen.has(f.name)) {
      invalid.set(i, "listed twice in this manifest");
      continue;
    }
    seen.add(f.name);
    if (f.unsupportedHashType !== undefined) {
      invalid.set(i, `checksumhashtype "${f.unsupportedHashType}" is not supported; use md5 or none`);
      continue;
    }
    const path = join(folder, f.name);
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    if (!info?.isFile()) {
      invalid.set(i, "not in the folder");
      continue;
    }
    if (info.size === 0n) {
      invalid.set(i, "is empty (0 bytes)");
      continue;
    }
    if (f.hashType === "md5") {
      // The SFTP server hashed it as it arrived, most often: that hash, if it is still this file's.
      const actual = (await recallMd5(path, info)) ?? (await md5File(path));
      if (actual !== f.checksum) invalid.set(i, `checksum differs: the manifest says ${f.checksum || "(empty)"}, the file's MD5 is ${actual}`);
    }
  }
  return invalid;
}

/** MD5 of a file, streamed (node:crypto runs at md5sum's speed). */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The manifest text with `INVALID="reason"` added to each bad `<file>`.
 *
 * @example markInvalid(text, manifest, new Map([[0, "not in the folder"]]))
 */
export function markInvalid(text: string, manifest: Manifest, invalid: ReadonlyMap<number, string>): string {
  let out = text;
  // From the end, so earlier offsets stay right.
  for (const [i, f] of [...manifest.files.entries()].reverse()) {
    const reason = invalid.get(i);
    if (reason === undefined) continue;
    let at = f.tagEnd;
    while (at > 0 && /\s/.test(out[at - 1]!)) at--;
    out = `${out.slice(0, at)} INVALID="${escapeAttribute(reason)}"${out.slice(at)}`;
  }
  return out;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
