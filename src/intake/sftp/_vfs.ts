/**
 * A tenant's SFTP view of its drop tree (CONTRACT.md, The tenant's SFTP
 * root): `/` is the tenant root; feed folders take uploads; `exports/` and
 * `results/` are read-only (unless the tenant lets its SIS remove what it
 * picked up: `sftp_delete_after_pickup`); nothing is written at the root, no
 * folder is made or removed, and no path leaves the root.
 *
 * @module
 */
import { lstatSync } from "node:fs";
import { join, posix } from "node:path";

export interface TenantView {
  /** The tenant's root on disk. */
  root: string;
  /** Feed folders, as configured (`OneRoster`, `Accounts/AccountImports`). */
  feeds: readonly string[];
  /** Files in `exports/` and `results/` may be removed (`sftp_delete_after_pickup`). */
  deleteAfterPickup?: boolean;
}

/** A path as the client sees it, normalised (`/OneRoster/users.csv`), and on disk. */
export interface Resolved {
  virtual: string;
  real: string;
}

/** Why a path is refused. */
export class Denied extends Error {
  override name = "Denied";
}

/**
 * Normalises a client path against `/` (".." stops at the root) and maps it
 * under the tenant root; a symlink anywhere on the way is refused.
 *
 * @example resolvePath(view, "../OneRoster/./users.csv") // { virtual: "/OneRoster/users.csv", real: "<root>/OneRoster/users.csv" }
 */
export function resolvePath(view: TenantView, path: string): Resolved {
  if (path.includes("\0")) throw new Denied("path contains a NUL byte");
  // OpenSSH asks for "/OneRoster/" when told `ls OneRoster`: a folder's name has no trailing slash here.
  const virtual = posix.normalize(posix.join("/", path === "" || path === "." ? "/" : path)).replace(/(.)\/+$/, "$1");
  const parts = virtual.split("/").filter(Boolean);
  let real = view.root;
  for (const part of parts) {
    real = join(real, part);
    const info = lstatSync(real, { throwIfNoEntry: false });
    if (info?.isSymbolicLink()) throw new Denied(`${virtual}: symbolic links are not followed`);
  }
  return { virtual, real };
}

/** The folder part of a virtual path, without the leading slash (`OneRoster`). */
function folderOf(virtual: string): string {
  return posix.dirname(virtual).slice(1);
}

/**
 * Whether a file may be written, renamed or removed here: inside a feed
 * folder, not hidden.
 */
export function writable(view: TenantView, virtual: string): boolean {
  const name = posix.basename(virtual);
  return view.feeds.includes(folderOf(virtual)) && !name.startsWith(".") && name !== "";
}

/** Whether a folder may be listed: the root, a feed folder or one on the way to it, exports/ and results/ (and below). */
export function listable(view: TenantView, virtual: string): boolean {
  const rel = virtual.slice(1);
  if (rel === "" || rel === "exports" || rel === "results" || rel.startsWith("exports/") || rel.startsWith("results/")) return true;
  return view.feeds.some((f) => f === rel || f.startsWith(`${rel}/`));
}

/** Whether a file may be read: in a listable folder, not hidden. */
export function readable(view: TenantView, virtual: string): boolean {
  return listable(view, posix.dirname(virtual)) && !posix.basename(virtual).startsWith(".");
}

/**
 * Whether a file may be removed: anything writable, and with `deleteAfterPickup`
 * a (not hidden) file anywhere under `exports/` or `results/`.
 *
 * @example removable({ ...view, deleteAfterPickup: true }, "/exports/2026/registrations.csv") // true
 */
export function removable(view: TenantView, virtual: string): boolean {
  if (writable(view, virtual)) return true;
  const rel = virtual.slice(1);
  const name = posix.basename(virtual);
  return view.deleteAfterPickup === true && (rel.startsWith("exports/") || rel.startsWith("results/")) && !name.startsWith(".") && name !== "";
}
