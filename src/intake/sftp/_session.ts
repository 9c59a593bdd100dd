/**
 * One SFTP session on a tenant's view: the SFTP v3 requests real clients
 * send, answered from the tenant's drop tree. Uploads go to a hidden
 * temporary name and are renamed into place on CLOSE, so the inbox only
 * ever sees complete files; writes are positional (never O_APPEND).
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, copyFileSync, existsSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, type Stats } from "node:fs";
import { posix } from "node:path";
import ssh2 from "ssh2";
import type { SFTPWrapper } from "ssh2";
import { InFlight } from "./_inflight.ts";
import { WriteRuns } from "./_write-runs.ts";
import { Denied, listable, readable, removable, resolvePath, writable, type TenantView } from "./_vfs.ts";

const { STATUS_CODE: S, OPEN_MODE: M } = ssh2.utils.sftp;
const MAX_HANDLES = 64;
/** WRITEs in flight per connection unless `sftp.max_requests_in_flight` says otherwise: twice what OpenSSH's client keeps. */
export const DEFAULT_IN_FLIGHT = 128;
const MAX_READ = 256 * 1024;

type Handle =
  | {
    kind: "file"; fd: number; virtual: string; real: string; temp?: string; written: number; started: number;
    failed?: boolean;
    /** Writes still in the thread pool or queued for it; CLOSE waits for them. */
    pending: number; whenIdle?: () => void;
    /** An upload's WRITEs, gathered into one writev where they continue one another. */
    runs?: WriteRuns;
  }
  | { kind: "dir"; virtual: string; names: string[] | undefined };

export interface SessionEvents {
  /** Any request: the connection is not idle. */
  touched(): void;
  /** The largest file a client may write. */
  maxFileBytes: number;
  /** The connection's cap on WRITEs in flight (one per connection, shared by its channels). */
  inFlight?: InFlight;
  /**
   * A file is complete under its final name (the inbox may look at it).
   * `readFd` is open on what was received, for its MD5 to be taken off the
   * SFTP thread; the receiver must close it. (Undefined if it could not be
   * opened: the upload stands, logged without its MD5.)
   */
  uploaded(virtual: string, bytes: number, ms: number, readFd: number | undefined): void;
  denied(op: string, path: string, why: string): void;
  event(op: string, fields: Record<string, unknown>): void;
  /**
   * A WRITE's STATUS is about to be sent from its fs callback: the connection may hold it
   * to send several at once. (Not READ data: held back, it made downloads slower.)
   */
  replying?(): void;
}

function attrs(st: Stats) {
  return { mode: st.mode, uid: 0, gid: 0, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) };
}

/** A read descriptor of a finished upload for its MD5, or undefined when none can be had (out of descriptors, say). */
function openForHash(path: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch {
    return undefined;
  }
}

/**
 * A hidden name, next to `real`, that no other upload has or had: a name made from the pid
 * and a per-session counter was the same for two connections uploading one file at once
 * (their bytes mixed in one file), and for a serve restarted after a crash (the same pid, or
 * 1 in Docker), whose leftover kept its tail under a shorter new upload.
 */
function uploadTemp(real: string): string {
  return `${posix.dirname(real)}/.${posix.basename(real)}.${randomBytes(8).toString("hex")}.upload`;
}

/** One thread-pool operation of the handle done; run a CLOSE that waited for it. */
function settle(h: { pending: number; whenIdle?: () => void }): void {
  h.pending--;
  if (h.pending === 0 && h.whenIdle) {
    const run = h.whenIdle;
    h.whenIdle = undefined;
    run();
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** An `ls -l` line, which clients show as the listing. */
function longname(name: string, st: Stats): string {
  const d = new Date(st.mtimeMs);
  const type = st.isDirectory() ? "d" : "-";
  const perms = st.isDirectory() ? "rwxr-xr-x" : "rw-r--r--";
  const when = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  return `${type}${perms} 1 rosterbox rosterbox ${String(st.size).padStart(10)} ${when} ${name}`;
}

/**
 * Serves one SFTP channel for a tenant.
 *
 * @example session.on("sftp", (accept) => serveSftp(accept(), view, events));
 */
export function serveSftp(sftp: SFTPWrapper, view: TenantView, events: SessionEvents): void {
  const handles = new Map<number, Handle>();
  let next = 1;
  const inFlight = events.inFlight ?? new InFlight(DEFAULT_IN_FLIGHT);
  // Every request keeps the connection from the idle timeout.
  const on = ((event: string, listener: (...args: never[]) => void) =>
    sftp.on(event as "OPEN", ((...args: never[]) => {
      events.touched();
      listener(...args);
    }) as never)) as SFTPWrapper["on"];
  const newHandle = (h: Handle): Buffer | undefined => {
    if (handles.size >= MAX_HANDLES) return undefined;
    const id = next++;
    handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  // One read buffer per session, reused: allocating one per 32 KiB READ (ssh2 already makes
  // one per reply) cost about a quarter of the download CPU in allocation and GC (measured).
  let readBuf = Buffer.allocUnsafeSlow(32 * 1024);
  const handleOf = (buf: Buffer) => (buf.length === 4 ? handles.get(buf.readUInt32BE(0)) : undefined);
  const deny = (reqid: number, op: string, path: string, why: string) => {
    events.denied(op, path, why);
    sftp.status(reqid, S.PERMISSION_DENIED, why);
  };
  const guard = (reqid: number, op: string, path: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof Denied) deny(reqid, op, path, err.message);
      else if ((err as NodeJS.ErrnoException).code === "ENOENT") sftp.status(reqid, S.NO_SUCH_FILE, "no such file");
      else sftp.status(reqid, S.FAILURE, (err as Error).message);
    }
  };

  on("REALPATH", (reqid, path) => guard(reqid, "realpath", path, () => {
    const { virtual } = resolvePath(view, path);
    sftp.name(reqid, [{ filename: virtual, longname: virtual, attrs: {} as never }]);
  }));
  const stat = (reqid: number, path: string) => guard(reqid, "stat", path, () => {
    const r = resolvePath(view, path);
    const st = statSync(r.real);
    if (st.isDirectory() ? !listable(view, r.virtual) : !readable(view, r.virtual)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    sftp.attrs(reqid, attrs(st));
  });
  on("STAT", stat);
  on("LSTAT", stat);
  on("FSTAT", (reqid, handle) => {
    const h = handleOf(handle);
    if (h?.kind !== "file") return sftp.status(reqid, S.FAILURE, "bad handle");
    sftp.attrs(reqid, attrs(fstatSync(h.fd)));
  });
  on("OPENDIR", (reqid, path) => guard(reqid, "opendir", path, () => {
    const r = resolvePath(view, path);
    if (!listable(view, r.virtual) || !statSync(r.real).isDirectory()) throw Object.assign(new Error("no such folder"), { code: "ENOENT" });
    const handle = newHandle({ kind: "dir", virtual: r.virtual, names: undefined });
    if (!handle) return sftp.status(reqid, S.FAILURE, "too many open handles");
    sftp.handle(reqid, handle);
  }));
  on("READDIR", (reqid, handle) => {
    const h = handleOf(handle);
    if (h?.kind !== "dir") return sftp.status(reqid, S.FAILURE, "bad handle");
    if (h.names) return sftp.status(reqid, S.EOF);
    const { real } = resolvePath(view, h.virtual);
    h.names = readdirSync(real).filter((n) => !n.startsWith("."));
    const list = [];
    for (const name of h.names) {
      const virtual = posix.join(h.virtual, name);
      const st = statSync(`${real}/${name}`, { throwIfNoEntry: false });
      if (!st || (st.isDirectory() ? !listable(view, virtual) : !st.isFile())) continue;
      list.push({ filename: name, longname: longname(name, st), attrs: attrs(st) });
    }
    sftp.name(reqid, list);
  });
  on("OPEN", (reqid, filename, flags) => guard(reqid, "open", filename, () => {
    const r = resolvePath(view, filename);
    if (flags & M.WRITE) {
      if (!writable(view, r.virtual)) throw new Denied(`${r.virtual}: files can be written only in a feed folder (${view.feeds.join(", ")})`);
      const temp = uploadTemp(r.real);
      // Resuming (no TRUNC): continue from what is there, still under the temporary name.
      const resuming = !(flags & M.TRUNC) && existsSync(r.real);
      if (resuming) copyFileSync(r.real, temp, constants.COPYFILE_EXCL);
      const fd = openSync(temp, resuming ? "r+" : "wx");
      const handle = newHandle({ kind: "file", fd, virtual: r.virtual, real: r.real, temp, written: 0, started: Date.now(), pending: 0, runs: new WriteRuns(fd) });
      if (!handle) {
        closeSync(fd);
        rmSync(temp, { force: true });
        return sftp.status(reqid, S.FAILURE, "too many open handles");
      }
      return sftp.handle(reqid, handle);
    }
    if (!readable(view, r.virtual) || !statSync(r.real).isFile()) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    const fd = openSync(r.real, "r");
    const handle = newHandle({ kind: "file", fd, virtual: r.virtual, real: r.real, written: 0, started: Date.now(), pending: 0 });
    if (!handle) {
      // Refused at the handle limit: the file must not stay open behind the client's back.
      closeSync(fd);
      return sftp.status(reqid, S.FAILURE, "too many open handles");
    }
    sftp.handle(reqid, handle);
  }));
  on("READ", (reqid, handle, offset, length) => {
    const h = handleOf(handle);
    if (h?.kind !== "file") return sftp.status(reqid, S.FAILURE, "bad handle");
    // Read on this thread, not in the thread pool: a download reads from the page cache, and
    // the pool's round trip per 32 KiB (request object, queue, wake-up, callback) cost more
    // than the read itself (A/B, 6 rounds of 1 GiB: server CPU 2.7-3.4 s -> 2.1-2.7 s per GiB).
    // The SFTP server has this thread to itself; the kernel's readahead keeps a file streaming.
    const size = Math.min(length, MAX_READ);
    if (readBuf.length < size) readBuf = Buffer.allocUnsafeSlow(size);
    let n: number;
    try {
      n = readSync(h.fd, readBuf, 0, size, offset);
    } catch (err) {
      return sftp.status(reqid, S.FAILURE, (err as Error).message);
    }
    if (n === 0) return sftp.status(reqid, S.EOF);
    // ssh2 copies the bytes into its reply packet here, so one buffer serves every READ.
    sftp.data(reqid, readBuf.subarray(0, n));
  });
  on("WRITE", (reqid, handle, offset, data) => {
    const h = handleOf(handle);
    if (h?.kind !== "file" || !h.temp) return sftp.status(reqid, S.FAILURE, "bad handle");
    if (offset + data.length > events.maxFileBytes) {
      h.failed = true;
      events.denied("write", h.virtual, `larger than the limit of ${events.maxFileBytes} bytes`);
      return sftp.status(reqid, S.FAILURE, `file larger than the limit of ${events.maxFileBytes} bytes`);
    }
    h.written += data.length;
    // Positional writes in the thread pool, many in flight (order does not matter), those that
    // continue one another gathered into one writev (_write-runs.ts).
    // Counted as pending from now, not from when the write starts: a CLOSE waits for queued ones too.
    h.pending++;
    inFlight.run((done) => h.runs!.add(offset, data, (err) => {
      settle(h);
      events.replying?.();
      if (err) h.failed = true;
      sftp.status(reqid, err ? S.FAILURE : S.OK, err?.message);
      done();
    }));
  });
  on("CLOSE", (reqid, handle) => {
    const h = handleOf(handle);
    if (!h) return sftp.status(reqid, S.FAILURE, "bad handle");
    handles.delete(handle.readUInt32BE(0));
    if (h.kind === "file" && h.pending > 0) {
      h.whenIdle = () => finishClose(reqid, h);
      return;
    }
    finishClose(reqid, h);
  });
  const finishClose = (reqid: number, h: Handle) => {
    if (h.kind === "file") {
      closeSync(h.fd);
      if (h.temp && h.failed) {
        // A refused upload never appears under its name.
        rmSync(h.temp, { force: true });
        return sftp.status(reqid, S.FAILURE, "the upload was refused; nothing was kept");
      }
      if (h.temp) {
        // Hashing each WRITE here cost about a quarter of the upload's CPU on this thread. The
        // descriptor reads this very file whatever happens to its name next (picked up, replaced).
        const readFd = openForHash(h.temp);
        try {
          renameSync(h.temp, h.real);
        } catch (err) {
          if (readFd !== undefined) closeSync(readFd);
          rmSync(h.temp, { force: true });
          events.event("error", { path: h.virtual, message: `the upload could not be put in place: ${(err as Error).message}` });
          return sftp.status(reqid, S.FAILURE, "the upload could not be put in place; nothing was kept");
        }
        events.uploaded(h.virtual, h.written, Date.now() - h.started, readFd);
      } else events.event("download", { path: h.virtual });
    }
    sftp.status(reqid, S.OK);
  };
  on("REMOVE", (reqid, path) => guard(reqid, "remove", path, () => {
    const r = resolvePath(view, path);
    if (!removable(view, r.virtual)) throw new Denied(`${r.virtual}: files can be removed only from a feed folder${view.deleteAfterPickup ? ", exports/ or results/" : ""}`);
    if (!statSync(r.real).isFile()) throw new Denied(`${r.virtual}: not a file`);
    rmSync(r.real);
    events.event("remove", { path: r.virtual });
    sftp.status(reqid, S.OK);
  }));
  on("RENAME", (reqid, from, to) => guard(reqid, "rename", from, () => {
    const a = resolvePath(view, from);
    const b = resolvePath(view, to);
    if (!writable(view, a.virtual) || !writable(view, b.virtual)) throw new Denied(`${a.virtual} → ${b.virtual}: files can be renamed only within feed folders`);
    if (!statSync(a.real).isFile()) throw new Denied(`${a.virtual}: folders cannot be renamed`);
    renameSync(a.real, b.real);
    events.event("rename", { from: a.virtual, to: b.virtual });
    // A WinSCP-style "name.filepart" renamed into place is a completed upload.
    const readFd = openForHash(b.real);
    events.uploaded(b.virtual, readFd === undefined ? statSync(b.real).size : fstatSync(readFd).size, 0, readFd);
    sftp.status(reqid, S.OK);
  }));
  on("MKDIR", (reqid, path) => deny(reqid, "mkdir", path, "folders cannot be created"));
  on("RMDIR", (reqid, path) => deny(reqid, "rmdir", path, "folders cannot be removed"));
  on("SETSTAT", (reqid) => sftp.status(reqid, S.OK));
  on("FSETSTAT", (reqid) => sftp.status(reqid, S.OK));
  on("READLINK", (reqid, path) => deny(reqid, "readlink", path, "symbolic links are not supported"));
  on("SYMLINK", (reqid, path) => deny(reqid, "symlink", path, "symbolic links are not supported"));
  sftp.on("end", () => {
    for (const h of handles.values()) {
      if (h.kind !== "file") continue;
      // An upload cut off by the client never appears under its name.
      const drop = () => {
        closeSync(h.fd);
        if (h.temp) rmSync(h.temp, { force: true });
      };
      if (h.pending > 0) h.whenIdle = drop;
      else drop();
    }
    handles.clear();
    sftp.end();
  });
}
