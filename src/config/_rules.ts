/**
 * The config rules a JSON Schema cannot say: unique names, safe folders,
 * cron syntax, mappings that compile, hashes and keys that parse.
 *
 * @module
 */
import { isIP } from "node:net";
import { existsSync } from "node:fs";
import { Cron } from "croner";
import { resolveField } from "../model/joins.ts";
import ssh2 from "ssh2";
import { compileMapping, MappingError } from "../mapping/mod.ts";
import { parseLimit } from "../importer/thresholds.ts";
import type { Config } from "./schema.ts";
import { isPasswordHash } from "./secrets.ts";

export type Path = (string | number)[];

export interface Problem {
  path: Path;
  message: string;
}

const RESERVED = new Set(["exports", "results"]);
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;

/** A folder inside the tenant root: relative, no `..`, plain names. */
function folderProblem(folder: string, allowPattern = false): string | undefined {
  if (folder.startsWith("/") || folder.includes("\\")) return `"${folder}" must be a folder inside the tenant's root (relative, with /)`;
  const parts = folder.split("/");
  for (const part of parts) {
    const plain = allowPattern ? part.replace(/\{[A-Za-z]+\}/g, "x") : part;
    if (part === ".." || part === "." || !SEGMENT.test(plain)) return `"${folder}" has a part "${part}" that is not a plain folder name (letters, digits, space . _ -)`;
  }
  return undefined;
}

const NAME_TOKENS = new Set(["YYYY", "MM", "DD", "HH", "mm", "ss", "schoolYear", "tenant", "export"]);

/** Export files are collected from the tenant's read-only `exports/`. */
function exportFolderProblem(folder: string): string | undefined {
  if (folder.split("/")[0] !== "exports") return `"${folder}" must be inside exports/ (where SFTP users collect files), e.g. exports/{schoolYear}`;
  return tokenProblem(folder);
}

function tokenProblem(pattern: string): string | undefined {
  for (const m of pattern.matchAll(/\{([^}]*)\}/g)) {
    if (!NAME_TOKENS.has(m[1]!)) return `"{${m[1]}}" is not a name token; use ${[...NAME_TOKENS].map((t) => `{${t}}`).join(" ")}`;
  }
  return undefined;
}

function fileNameProblem(pattern: string): string | undefined {
  if (/[\\/\x00-\x1f]/.test(pattern) || pattern.startsWith(".")) return `"${pattern}" must be a plain file name (no folders, not hidden)`;
  return tokenProblem(pattern);
}

function cronProblem(expr: string): string | undefined {
  try {
    new Cron(expr, { paused: true }).stop();
    return undefined;
  } catch (err) {
    return `"${expr}" is not a cron schedule: ${(err as Error).message}`;
  }
}

function listenProblem(listen: string): string | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  const host = m?.[1]?.replace(/^\[(.*)\]$/, "$1");
  if (!m || Number(m[2]) > 65535 || (host !== "localhost" && isIP(host ?? "") === 0)) {
    return `"${listen}" is not an address to listen on; write host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:2222`;
  }
  return undefined;
}

function cidrProblem(cidr: string): string | undefined {
  const [ip = "", bits] = cidr.split("/");
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) return `"${cidr}" is not an address or CIDR range`;
  return undefined;
}

/** A time zone the schedules can run in: an IANA name such as Europe/London (a typo passed, and stopped serve at its start). */
function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not a time zone; write an IANA name such as America/Chicago or Europe/London`;
  }
}

/**
 * Every rule broken, each with the key path it concerns.
 *
 * @example checkRules(config) // [{ path: ["tenants", 0, "feeds", 1, "folder"], message: "…" }]
 */
export function checkRules(config: Config): Problem[] {
  const out: Problem[] = [];
  const add = (path: Path, message: string | undefined) => message && out.push({ path, message });
  const sftpNames = new Map<string, string>();
  if (config.http?.listen) add(["http", "listen"], listenProblem(config.http.listen));
  if (config.sftp?.listen) add(["sftp", "listen"], listenProblem(config.sftp.listen));
  if (config.retention?.schedule) add(["retention", "schedule"], cronProblem(config.retention.schedule));
  if (config.time_zone !== undefined) add(["time_zone"], timeZoneProblem(config.time_zone));
  const webNames = new Set<string>();
  config.web_users?.forEach((u, i) => {
    if (webNames.has(u.username)) add(["web_users", i, "username"], `"${u.username}" is listed twice`);
    webNames.add(u.username);
    if (!isPasswordHash(u.password_hash)) add(["web_users", i, "password_hash"], "is not a password hash; make one with `rosterbox hash-password`");
  });
  const tenantIds = new Set<string>();
  config.tenants.forEach((t, ti) => {
    const at: Path = ["tenants", ti];
    if (tenantIds.has(t.id)) add([...at, "id"], `tenant "${t.id}" is listed twice`);
    tenantIds.add(t.id);
    t.sftp_users?.forEach((u, ui) => {
      const p: Path = [...at, "sftp_users", ui];
      const other = sftpNames.get(u.username);
      if (other) add([...p, "username"], `SFTP user "${u.username}" already belongs to tenant "${other}"; login names are unique across tenants`);
      sftpNames.set(u.username, t.id);
      if (!u.password_hash && !u.authorized_keys?.length) add(p, "needs a password_hash or authorized_keys");
      if (u.password_hash && !isPasswordHash(u.password_hash)) add([...p, "password_hash"], "is not a password hash; make one with `rosterbox hash-password`");
      u.authorized_keys?.forEach((k, ki) => {
        const parsed = ssh2.utils.parseKey(k);
        if (parsed instanceof Error) add([...p, "authorized_keys", ki], `is not a public key (${parsed.message}); paste one line of an authorized_keys file`);
      });
      u.allow_from?.forEach((c, ci) => add([...p, "allow_from", ci], cidrProblem(c)));
    });
    const folders = new Set<string>();
    t.feeds?.forEach((f, fi) => {
      const p: Path = [...at, "feeds", fi];
      add([...p, "folder"], folderProblem(f.folder));
      if (RESERVED.has(f.folder.split("/")[0]!)) add([...p, "folder"], `"${f.folder}" is reserved for the appliance's own files`);
      if (folders.has(f.folder)) add([...p, "folder"], `feed folder "${f.folder}" is listed twice`);
      folders.add(f.folder);
      for (const key of ["change_threshold", "update_threshold"] as const) {
        const v = f[key];
        if (v !== undefined) {
          try {
            parseLimit(String(v));
          } catch (err) {
            add([...p, key], (err as Error).message);
          }
        }
      }
      if (f.format === "delimited") {
        if (!f.entity) add(p, "a delimited feed needs entity (the OneRoster entity its rows are)");
        if (!f.fields?.length) add(p, "a delimited feed needs fields (its column mapping)");
      }
      if (f.fields?.length) mappingProblems([...p, "fields"], f.fields, out);
    });
    const exportNames = new Set<string>();
    t.exports?.forEach((e, ei) => {
      const p: Path = [...at, "exports", ei];
      if (exportNames.has(e.name)) add([...p, "name"], `export "${e.name}" is listed twice`);
      exportNames.add(e.name);
      if (e.schedule) add([...p, "schedule"], cronProblem(e.schedule));
      if (e.folder) add([...p, "folder"], folderProblem(e.folder, true) ?? exportFolderProblem(e.folder));
      if (e.file?.name) add([...p, "file", "name"], fileNameProblem(e.file.name));
      if (e.file?.delimiter !== undefined && e.file.delimiter === e.file.quote) add([...p, "file"], "delimiter and quote must differ");
      if (e.push) {
        const key = e.push.private_key;
        if (!key.startsWith("/")) add([...p, "push", "private_key"], `"${key}" must be an absolute path to the private key file`);
        else if (!existsSync(key)) add([...p, "push", "private_key"], `${key} does not exist; make a key with ssh-keygen -t ed25519 -f ${key}`);
        if ((e.format ?? "mapped") === "oneroster-csv") add([...p, "push"], "a oneroster-csv export is a folder; push sends files (collect the bundle over SFTP)");
      }
      if ((e.format ?? "mapped") === "oneroster-csv") return;
      if (!e.entity) return add(p, "a mapped export needs entity (the OneRoster entity it writes)");
      if (!e.fields?.length) return add(p, "a mapped export needs fields (its column mapping)");
      const before = out.length;
      mappingProblems([...p, "fields"], e.fields, out);
      if (out.length > before) return;
      // Every name the mapping reads must exist on the entity or one of its joins.
      e.fields.forEach((field, fi) => {
        const names = [field.from, ...[...(field.transform ?? "").matchAll(/\{([^}]+)\}/g)].map((m) => m[1])];
        for (const n of names) {
          if (n === undefined || field.omit) continue;
          const where = resolveField(e.entity!, n);
          if (typeof where === "string") add([...p, "fields", fi, "from"], where);
        }
      });
      for (const key of Object.keys(e.where ?? {})) {
        const where = resolveField(e.entity, key);
        if (typeof where === "string") add([...p, "where", key], where);
      }
    });
  });
  return out;
}

function mappingProblems(path: Path, fields: NonNullable<Config["tenants"][number]["feeds"]>[number]["fields"], out: Problem[]): void {
  try {
    compileMapping(fields ?? [], path.join("."));
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    // The engine names the entry as "<context>[i]…": point at it when it can be read back.
    const m = /\[(\d+)\]\.?([A-Za-z_]*)/.exec(err.path.slice(path.join(".").length));
    const at: Path = m ? [...path, Number(m[1]), ...(m[2] ? [m[2]] : [])] : path;
    out.push({ path: at, message: err.message.slice(err.path.length + 2) || err.message });
  }
}
