/**
 * Reading `rosterbox.yaml`: YAML parsed with positions kept, checked against
 * the schema (ajv) and the rules, every problem named by key path and line.
 * A config with any problem is refused whole: the service never starts
 * half-configured.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve, dirname } from "node:path";
import { Ajv } from "ajv";
import { LineCounter, parseDocument, type Document } from "yaml";
import { checkRules, type Path } from "./_rules.ts";
import { CONFIG_SCHEMA, type Config } from "./schema.ts";

export interface ConfigProblem {
  /** Key path as people write it: `tenants[0].feeds[1].format`. */
  key: string;
  /** 1-based line in the file (0 when the problem is not tied to one). */
  line: number;
  message: string;
}

/** A config that cannot be used; `problems` lists every reason. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${file}${p.line ? `:${p.line}` : ""}: ${p.key ? `${p.key}: ` : ""}${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(CONFIG_SCHEMA);

/** Environment variables that override the file (containers, systemd drop-ins). */
export const ENV_OVERRIDES = {
  ROSTERBOX_DATA_DIR: ["data_dir"],
  ROSTERBOX_HTTP_LISTEN: ["http", "listen"],
  ROSTERBOX_SFTP_LISTEN: ["sftp", "listen"],
} as const;

function keyOf(path: Path): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The line of the deepest node of `path` the document has. */
function lineOf(doc: Document, counter: LineCounter, path: Path): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return counter.linePos(node.range[0]).line;
  }
  return 0;
}

function ajvMessage(e: { keyword: string; message?: string; params: Record<string, unknown> }): string {
  switch (e.keyword) {
    case "additionalProperties":
      return `unknown key "${String(e.params.additionalProperty)}" (check its spelling)`;
    case "required":
      return `missing key "${String(e.params.missingProperty)}"`;
    case "enum":
      return `must be one of: ${(e.params.allowedValues as unknown[]).join(", ")}`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Parses and checks config text. Relative `data_dir` and `watch` paths are
 * taken relative to the config file's folder.
 *
 * @example
 * const config = parseConfig(readFileSync("rosterbox.yaml", "utf8"), "rosterbox.yaml", process.env);
 */
export function parseConfig(text: string, file: string, env: Record<string, string | undefined> = {}): Config {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ key: "", line: e.linePos?.[0]?.line ?? 0, message: `not valid YAML: ${e.message.split("\n")[0]}` })));
  }
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value) doc.setIn(path as unknown as Path, value);
  }
  const config = doc.toJS() as Config;
  if (!validate(config)) {
    const problems = validate.errors!.map((e) => {
      const path: Path = e.instancePath.split("/").slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replaceAll("~1", "/").replaceAll("~0", "~")));
      if (e.keyword === "additionalProperties") path.push(String(e.params.additionalProperty));
      return { key: keyOf(path), line: lineOf(doc, counter, path), message: ajvMessage(e) };
    });
    throw new ConfigError(file, dedupe(problems));
  }
  const problems = checkRules(config).map((p) => ({ key: keyOf(p.path), line: lineOf(doc, counter, p.path), message: p.message }));
  if (problems.length > 0) throw new ConfigError(file, problems);
  const base = dirname(resolve(file));
  config.data_dir = isAbsolute(config.data_dir) ? config.data_dir : resolve(base, config.data_dir);
  for (const t of config.tenants) for (const f of t.feeds ?? []) if (f.watch && !isAbsolute(f.watch)) f.watch = resolve(base, f.watch);
  return config;
}

/** ajv reports an `anyOf` failure once per branch; one line per key is enough. */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.key}\n${p.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Reads and checks a config file.
 *
 * @example const config = loadConfig("/etc/rosterbox/rosterbox.yaml");
 */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ key: "", line: 0, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
  }
  return parseConfig(text, file, env);
}
