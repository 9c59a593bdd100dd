/**
 * The two ways a mapping fails: a bad configuration, found once when the
 * mapping is compiled, and a value one row cannot be mapped with, found while
 * rows are mapped.
 *
 * @module
 */

/**
 * A mapping configuration that cannot work. `path` names the key, such as
 * `tenants[0].feeds[1].fields[2].transform`, so `config check` can point at it.
 */
export class MappingError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = "MappingError";
    this.path = path;
  }
}

/**
 * Thrown by a compiled transform for a value it cannot handle (an unparseable
 * date). The mapping catches it and reports it as a row error, prefixed with
 * the field's name.
 */
export class TransformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransformError";
  }
}

/** Quotes a value for a message, cut short so a huge field cannot flood a report. */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
