/**
 * Drives saxes over the text chunks and cuts the document into records: one
 * `<person>` or `<group>` at a time, and inside a `<membership>` its
 * `<sourcedid>` and each `<member>` separately, so a membership with a hundred
 * thousand members never exists in memory at once.
 *
 * It also enforces the safety rules: no DOCTYPE (so no entity expansion, no
 * XXE), root must be `<enterprise>`, and every buffer is bounded.
 *
 * @module
 */

import { SaxesParser } from "saxes";
import { FileError } from "../types.ts";
import { _node, type _XNode } from "./_node.ts";

/** What a completed record is. `membershipId` is the `<sourcedid>` of the current membership. */
export type _RecordKind = "person" | "group" | "membershipId" | "member";

/** Receives records as they complete. */
export interface _WalkerSink {
  /** `problem` is set when a limit was hit: the tree is then partial and must not become a row. */
  record(kind: _RecordKind, node: _XNode, problem: string | null): void;
  membershipStart(line: number): void;
  membershipEnd(): void;
}

/** Text one element may accumulate before its record is refused. */
const _MAX_ELEMENT_TEXT = 64 * 1024;
/** Text one record may accumulate over all its elements. */
const _MAX_RECORD_TEXT = 256 * 1024;
/** Elements one record may hold. */
const _MAX_RECORD_NODES = 4096;
/**
 * saxes keeps a whole token (a text run, a tag with its attributes, a comment)
 * in memory until it ends and only then tells us; past this size the file is
 * refused rather than buffered.
 */
const _MAX_TOKEN = 1024 * 1024;
/** Caller chunks are fed in slices of this size so the token guard checks often enough. */
const _SLICE = 64 * 1024;

const _XXE = "DOCTYPE/entity declarations are not allowed (XXE protection)";
// Vendor payloads we never map; not building them keeps records small.
const _SKIPPED = new Set(["extension", "photo"]);

interface _Record {
  kind: _RecordKind;
  root: _XNode;
  /** Depth of the record's own element (2 for person/group, 3 inside a membership). */
  rootDepth: number;
  /** Open elements that were built; the top one sits at `rootDepth + stack.length - 1`. */
  stack: _XNode[];
  /** Depth of the outermost element being skipped inside the record, 0 when none. */
  skipFrom: number;
  nodes: number;
  chars: number;
  problem: string | null;
}

/**
 * Streaming cutter of an IMS Enterprise document into records.
 *
 * @example
 * ```ts
 * const walker = new _ImsWalker("roster.xml", {
 *   record: (kind, node, problem) => console.log(kind, node.line, problem),
 *   membershipStart: () => {},
 *   membershipEnd: () => {},
 * });
 * walker.write("<enterprise><person><sourcedid><id>P1</id></sourcedid></person>"); // logs: person 1 null
 * walker.write("</enterprise>");
 * walker.close();
 * ```
 */
export class _ImsWalker {
  private readonly _parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  private _depth = 0;
  private _inMembership = false;
  private _record: _Record | null = null;
  private _sinceEvent = 0;

  constructor(
    private readonly _file: string,
    private readonly _sink: _WalkerSink,
  ) {
    const parser = this._parser;
    parser.on("error", (error) => {
      throw this._malformed(error);
    });
    parser.on("doctype", (doctype) => {
      // saxes reports the declaration once it is complete; point at its start.
      const newlines = doctype.split("\n").length - 1;
      throw new FileError(this._file, parser.line - newlines, `${_XXE}; remove the <!DOCTYPE …> declaration.`);
    });
    parser.on("opentagstart", (tag) => this._open(tag.name));
    parser.on("opentag", (tag) => {
      this._sinceEvent = 0;
      const top = this._builtTop();
      if (top !== undefined) top.attrs = tag.attributes;
    });
    parser.on("closetag", () => this._close());
    parser.on("text", (text) => this._text(text));
    parser.on("cdata", (text) => this._text(text));
    // Registered only so the token guard sees that a comment/PI ended.
    parser.on("comment", () => void (this._sinceEvent = 0));
    parser.on("processinginstruction", () => void (this._sinceEvent = 0));
  }

  /** Feeds one caller chunk; records completed inside it reach the sink synchronously. */
  write(chunk: string): void {
    for (let at = 0; at < chunk.length; at += _SLICE) {
      const slice = chunk.length <= _SLICE ? chunk : chunk.slice(at, at + _SLICE);
      this._parser.write(slice);
      this._sinceEvent += slice.length;
      if (this._sinceEvent > _MAX_TOKEN) {
        throw new FileError(
          this._file,
          this._parser.line,
          `a single XML token (text, tag, comment or declaration) is longer than ${_MAX_TOKEN / 1024} KiB; refusing to buffer it`,
        );
      }
    }
  }

  /** Ends the document; throws if it is incomplete. */
  close(): void {
    this._parser.close();
  }

  /** Line of the start tag saxes is reporting: it has already read the character after the name. */
  private _tagLine(): number {
    return this._parser.column === 0 ? this._parser.line - 1 : this._parser.line;
  }

  private _malformed(error: Error): FileError {
    const { line, column } = this._parser;
    const message = error.message.replace(/^\d+:\d+:\s*/, "").replace(/\.$/, "");
    const where = `line ${line}, column ${column}`;
    if (/doctype/i.test(message)) {
      return new FileError(this._file, line, `${_XXE}: <!DOCTYPE …> at ${where} (${message}).`);
    }
    if (/undefined entity/i.test(message)) {
      return new FileError(
        this._file,
        line,
        `${_XXE}: undefined entity at ${where}; only &amp; &lt; &gt; &quot; &apos; and numeric character references are accepted.`,
      );
    }
    return new FileError(this._file, line, `not well-formed XML at ${where}: ${message}.`);
  }

  /** The built node of the element currently open, if that element was built at all. */
  private _builtTop(): _XNode | undefined {
    const record = this._record;
    if (record === null || record.rootDepth + record.stack.length - 1 !== this._depth) return undefined;
    return record.stack.at(-1);
  }

  private _open(qualified: string): void {
    this._sinceEvent = 0;
    const name = qualified.slice(qualified.indexOf(":") + 1).toLowerCase();
    const depth = ++this._depth;
    const line = this._tagLine();
    const record = this._record;
    if (record !== null) {
      this._openInside(record, name, line, depth);
    } else if (depth === 1) {
      if (name !== "enterprise") {
        throw new FileError(this._file, line, `root element must be <enterprise>, found <${qualified}>; is this an IMS Enterprise file?`);
      }
    } else if (depth === 2) {
      if (name === "person" || name === "group") this._start(name, name, line, depth);
      else if (name === "membership") {
        this._inMembership = true;
        this._sink.membershipStart(line);
      }
    } else if (depth === 3 && this._inMembership) {
      if (name === "sourcedid") this._start("membershipId", name, line, depth);
      else if (name === "member") this._start("member", name, line, depth);
    }
  }

  private _start(kind: _RecordKind, name: string, line: number, depth: number): void {
    const root = _node(name, line);
    this._record = { kind, root, rootDepth: depth, stack: [root], skipFrom: 0, nodes: 1, chars: 0, problem: null };
  }

  private _openInside(record: _Record, name: string, line: number, depth: number): void {
    // Children of an element that was not built are not built either.
    if (record.skipFrom !== 0 || record.problem !== null || record.rootDepth + record.stack.length !== depth) return;
    if (_SKIPPED.has(name)) {
      record.skipFrom = depth;
      return;
    }
    if (++record.nodes > _MAX_RECORD_NODES) {
      record.problem = `more than ${_MAX_RECORD_NODES} elements`;
      return;
    }
    const node = _node(name, line);
    record.stack.at(-1)!.children.push(node);
    record.stack.push(node);
  }

  private _close(): void {
    this._sinceEvent = 0;
    const depth = this._depth--;
    const record = this._record;
    if (record === null) {
      if (depth === 2 && this._inMembership) {
        this._inMembership = false;
        this._sink.membershipEnd();
      }
      return;
    }
    if (depth === record.skipFrom) record.skipFrom = 0;
    if (depth === record.rootDepth) {
      this._record = null;
      this._sink.record(record.kind, record.root, record.problem);
    } else if (record.rootDepth + record.stack.length - 1 === depth) {
      record.stack.pop();
    }
  }

  private _text(text: string): void {
    this._sinceEvent = 0;
    const record = this._record;
    const node = this._builtTop();
    if (record === null || node === undefined || record.skipFrom !== 0 || record.problem !== null) return;
    record.chars += text.length;
    if (node.text.length + text.length > _MAX_ELEMENT_TEXT) {
      record.problem = `<${node.name}> (line ${node.line}) holds more than ${_MAX_ELEMENT_TEXT / 1024} KiB of text`;
    } else if (record.chars > _MAX_RECORD_TEXT) {
      record.problem = `more than ${_MAX_RECORD_TEXT / 1024} KiB of text`;
    } else {
      node.text += text;
    }
  }
}
