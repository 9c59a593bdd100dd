/**
 * `manifest.csv` of a OneRoster bundle: which files it carries and whether
 * each is a bulk snapshot or a delta.
 *
 * @module
 */
import { decodeText } from "../csv/decode.ts";
import { readCsv } from "../csv/mod.ts";
import { FileError, type SourceIssue } from "../types.ts";

export type Declared = "bulk" | "delta" | "absent";

export interface Manifest {
  /** `file.<name>` entries, by data-file name without `.csv` (lower-case). */
  files: Map<string, { mode: Declared; line: number }>;
  onerosterVersion: string;
  issues: SourceIssue[];
}

const FILE = "manifest.csv";

/**
 * Reads and checks a manifest.
 *
 * @example
 * const m = await readManifest(bundle.open("manifest.csv"));
 * m.files.get("users")?.mode; // "bulk"
 */
export async function readManifest(bytes: AsyncIterable<Uint8Array>): Promise<Manifest> {
  const files = new Map<string, { mode: Declared; line: number }>();
  const props = new Map<string, { value: string; line: number }>();
  const issues: SourceIssue[] = [];
  let header = true;
  for await (const batch of readCsv(decodeText(bytes, FILE), { file: FILE })) {
    for (const rec of batch) {
      if ("error" in rec) throw new FileError(FILE, rec.line, rec.error);
      if (header) {
        header = false;
        const [a, b] = rec.fields.map((f) => f.trim().toLowerCase());
        if (a !== "propertyname" || b !== "value") {
          throw new FileError(FILE, rec.line, `header must be "propertyName,value", found "${rec.fields.join(",")}"`);
        }
        continue;
      }
      const [name = "", value = ""] = rec.fields.map((f) => f.trim());
      if (name === "") continue;
      const key = name.toLowerCase();
      if (key.startsWith("file.")) {
        const mode = value.toLowerCase();
        if (mode !== "bulk" && mode !== "delta" && mode !== "absent") {
          throw new FileError(FILE, rec.line, `${name} is "${value}"; it must be bulk, delta or absent`);
        }
        files.set(key.slice(5), { mode, line: rec.line });
      } else props.set(key, { value, line: rec.line });
    }
  }
  if (header) throw new FileError(FILE, 1, "is empty; it needs the header propertyName,value and a file.<name> line per data file");
  const warn = (line: number, message: string) =>
    issues.push({ kind: "issue", file: FILE, line, entity: "manifest", sourcedId: "", severity: "WARNING", message });
  const manifestVersion = props.get("manifest.version");
  if (!manifestVersion) warn(1, "manifest.version is missing; read as 1.0");
  else if (manifestVersion.value === "1") warn(manifestVersion.line, 'manifest.version is "1" (a spreadsheet dropped ".0"); read as 1.0');
  else if (manifestVersion.value !== "1.0") throw new FileError(FILE, manifestVersion.line, `manifest.version "${manifestVersion.value}" is not supported; expected 1.0`);
  const version = props.get("oneroster.version");
  if (!version) throw new FileError(FILE, 1, "oneroster.version is missing; add oneroster.version,1.1 (or 1.2)");
  if (!/^1\.[12](\.\d+)?$/.test(version.value)) {
    throw new FileError(FILE, version.line, `oneroster.version "${version.value}" is not supported; expected 1.1 or 1.2`);
  }
  return { files, onerosterVersion: version.value, issues };
}
