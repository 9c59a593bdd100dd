/**
 * The transform language of mappings: steps joined with `|`, each compiled
 * once into a closure so mapping millions of rows never re-reads a spec.
 *
 * Whitespace next to a `|` is ignored, so `"trim | upper"` reads naturally;
 * a `const:` value therefore cannot contain `|`.
 *
 * @module
 */

import { compileDateFormat, parseDate } from "./dates.ts";
import { MappingError, TransformError, quoteValue } from "./errors.ts";

/** A compiled transform: the value so far and the whole source record in, the new value out. */
export type Transform = (value: string, record: Record<string, string>) => string;

/** A compiled chain and what the mapping needs to know about it. */
export interface CompiledChain {
  fn: Transform;
  /** The first step is `const:` or `concat:`, so the chain needs no `from` value. */
  ignoresInput: boolean;
  /** Record fields named by `concat:` placeholders, in order of first use. */
  reads: string[];
}

export const TRANSFORM_NAMES = ["upper", "lower", "trim", "date", "substr", "pad", "const", "concat"] as const;

const MAX_PAD = 1024;
const DATE_HINT = "use YYYY-MM-DD, an ISO date-time, or M/D/YYYY";

function integer(text: string, path: string, what: string, min: number): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < min) {
    throw new MappingError(path, `${what} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, got ${quoteValue(t)}`);
  }
  return Number(t);
}

function compileConcat(template: string, path: string, reads: string[]): Transform {
  const parts: string[] = []; // even indexes: literal text, odd: field names
  let literal = "";
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      literal += template.slice(i);
      break;
    }
    const close = template.indexOf("}", open + 1);
    if (close < 0) throw new MappingError(path, `concat: "{" is not closed with "}" in ${quoteValue(template)}`);
    const name = template.slice(open + 1, close).trim();
    if (name === "") throw new MappingError(path, `concat: empty placeholder "{}"; name a field, like {firstName}`);
    parts.push(literal + template.slice(i, open), name);
    literal = "";
    if (!reads.includes(name)) reads.push(name);
    i = close + 1;
  }
  if (parts.length === 0) {
    throw new MappingError(path, "concat: the template names no field; use const: for fixed text, or add {field} placeholders");
  }
  parts.push(literal);
  return (_value, record) => {
    let out = parts[0];
    for (let p = 1; p < parts.length; p += 2) out += (record[parts[p]] ?? "") + parts[p + 1];
    return out;
  };
}

function compileStep(step: string, path: string, reads: string[]): Transform {
  const colon = step.indexOf(":");
  const name = (colon < 0 ? step : step.slice(0, colon)).trim();
  const args = colon < 0 ? undefined : step.slice(colon + 1);
  const noArgs = (fn: Transform): Transform => {
    if (args !== undefined) throw new MappingError(path, `${name} takes no arguments, got "${step.trim()}"`);
    return fn;
  };
  const needArgs = (example: string): string => {
    if (args === undefined) throw new MappingError(path, `${name} needs arguments, like "${example}"`);
    return args;
  };
  switch (name) {
    case "upper":
      return noArgs((v) => v.toUpperCase());
    case "lower":
      return noArgs((v) => v.toLowerCase());
    case "trim":
      return noArgs((v) => v.trim());
    case "date": {
      const format = needArgs("date:MM/DD/YYYY").trim();
      const write = compileDateFormat(format);
      if (!write) throw new MappingError(path, `date: format ${quoteValue(format)} has no YYYY, YY, MM, M, DD or D token`);
      return (v) => {
        if (v === "") return ""; // a missing date stays missing
        const d = parseDate(v);
        if (!d) throw new TransformError(`value ${quoteValue(v)} is not a date; ${DATE_HINT}`);
        return write(d);
      };
    }
    case "substr": {
      const [startText, lengthText, extra] = needArgs("substr:0:4").split(":");
      if (extra !== undefined) throw new MappingError(path, `substr takes START:LENGTH, got "${step.trim()}"`);
      const start = integer(startText, path, "substr START", 0);
      if (lengthText === undefined || lengthText.trim() === "") return (v) => v.slice(start);
      const end = start + integer(lengthText, path, "substr LENGTH", 0);
      return (v) => v.slice(start, end);
    }
    case "pad": {
      const a = needArgs("pad:6:0");
      const sep = a.indexOf(":");
      const padChar = sep < 0 ? "" : a.slice(sep + 1);
      if ([...padChar].length !== 1) {
        throw new MappingError(path, `pad takes WIDTH:CHAR with one character, like "pad:6:0", got "${step.trim()}"`);
      }
      const width = integer(sep < 0 ? a : a.slice(0, sep), path, "pad WIDTH", 1);
      if (width > MAX_PAD) throw new MappingError(path, `pad WIDTH ${width} is more than ${MAX_PAD}`);
      // An absent value stays absent: padding "" would invent an ID of zeros.
      return (v) => (v === "" ? "" : v.padStart(width, padChar));
    }
    case "const": {
      const value = needArgs("const:active");
      return () => value;
    }
    case "concat":
      return compileConcat(needArgs("concat:{givenName} {familyName}"), path, reads);
    default:
      throw new MappingError(
        path,
        `unknown transform ${quoteValue(name)}; use ${TRANSFORM_NAMES.join(", ")} (chain them with |)`,
      );
  }
}

/**
 * Compiles a chain and reports what it reads; {@link parseTransform} is the
 * plain form. Throws {@link MappingError} naming `path`.
 *
 * @example
 * const { fn, ignoresInput, reads } = compileChain("concat:{First} {Last}|upper", "fields[0].transform");
 * fn("", { First: "Ada", Last: "Lovelace" }); // "ADA LOVELACE"; ignoresInput: true; reads: ["First", "Last"]
 */
export function compileChain(spec: string, path: string): CompiledChain {
  if (typeof spec !== "string" || spec.trim() === "") {
    throw new MappingError(path, `must be text naming a transform, like "upper" or "date:MM/DD/YYYY"`);
  }
  const raw = spec.split("|");
  const reads: string[] = [];
  const steps = raw.map((s, i) => {
    let step = i > 0 ? s.trimStart() : s;
    if (i < raw.length - 1) step = step.trimEnd();
    if (step.trim() === "") throw new MappingError(path, `step ${i + 1} of "${spec}" is empty`);
    return compileStep(step, path, reads);
  });
  const first = raw[0].split(":")[0].trim();
  const ignoresInput = first === "const" || first === "concat";
  let fn: Transform;
  if (steps.length === 1) fn = steps[0];
  else if (steps.length === 2) {
    const [a, b] = steps;
    fn = (v, r) => b(a(v, r), r);
  } else {
    fn = (v, r) => {
      for (const s of steps) v = s(v, r);
      return v;
    };
  }
  return { fn, ignoresInput, reads };
}

/**
 * Compiles a transform spec (steps joined with `|`) into one function. Throws
 * {@link MappingError} for an unknown transform or bad arguments; the
 * function throws {@link TransformError} for a value it cannot handle.
 *
 * @example
 * const t = parseTransform("date:MM/DD/YYYY");
 * t("2011-03-07", {}); // "03/07/2011"
 * parseTransform("pad:6:0")("42", {}); // "000042"
 */
export function parseTransform(spec: string, path = "transform"): Transform {
  return compileChain(spec, path).fn;
}
