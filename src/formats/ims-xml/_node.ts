/**
 * The small element tree built for one IMS record (a `<person>`, a `<group>`,
 * a `<member>`) and the lookups the mappers use on it.
 *
 * Only one record's tree exists at a time, which is what keeps the adapter's
 * memory flat however large the file is.
 *
 * @module
 */

/** One element of a record: local name (lower case), attributes, trimmed-later text. */
export interface _XNode {
  name: string;
  /** 1-based line where the start tag opens. */
  line: number;
  attrs: Record<string, string>;
  text: string;
  children: _XNode[];
}

/**
 * A fresh element node; attributes arrive later, when the start tag closes.
 *
 * @example
 * ```ts
 * const person = _node("person", 12); // { name: "person", line: 12, attrs: {}, text: "", children: [] }
 * ```
 */
export function _node(name: string, line: number): _XNode {
  return { name, line, attrs: {}, text: "", children: [] };
}

/**
 * First child named `name`.
 *
 * @example
 * ```ts
 * _kid(person, "userid")?.text; // "ada"
 * ```
 */
export function _kid(node: _XNode, name: string): _XNode | undefined {
  for (const child of node.children) if (child.name === name) return child;
  return undefined;
}

/**
 * All children named `name`, in document order.
 *
 * @example
 * ```ts
 * _kids(member, "role").length; // 2
 * ```
 */
export function _kids(node: _XNode, name: string): _XNode[] {
  return node.children.filter((child) => child.name === name);
}

/**
 * Follows a `a/b/c` path of first children.
 *
 * @example
 * ```ts
 * _at(person, "name/n") === undefined; // true when only name/fn is given
 * ```
 */
export function _at(node: _XNode | undefined, path: string): _XNode | undefined {
  let current = node;
  for (const step of path.split("/")) {
    if (current === undefined) return undefined;
    current = _kid(current, step);
  }
  return current;
}

/**
 * Trimmed text at `path` ("" when absent), the shape every canonical field wants.
 *
 * @example
 * ```ts
 * _txt(person, "sourcedid/id"); // "P1001"
 * ```
 */
export function _txt(node: _XNode | undefined, path: string): string {
  return _at(node, path)?.text.trim() ?? "";
}

/**
 * Trimmed attribute value ("" when absent).
 *
 * @example
 * ```ts
 * _attr(role, "roletype"); // "01"
 * ```
 */
export function _attr(node: _XNode | undefined, name: string): string {
  return node?.attrs[name]?.trim() ?? "";
}

/**
 * The date part of an ISO 8601 date or date-time, or "" when the text does not
 * start with one; IMS timeframes and birthdays often carry a time we must drop.
 *
 * @example
 * ```ts
 * _datePart("2026-12-18T23:59:00"); // "2026-12-18"
 * _datePart("12/18/2026"); // ""
 * ```
 */
export function _datePart(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:$|[T\s])/.exec(text.trim());
  return match ? match[1] : "";
}
