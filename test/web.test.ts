/**
 * The web app over real HTTP (node-server on a free port, a real LMDB store
 * in a temp dir): every route behind sign-in, sessions, CSRF, roles, tokens,
 * security headers, the job list, uploads and records.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../src/config/mod.ts";
import { hashPassword } from "../src/config/secrets.ts";
import { ensureDropTree } from "../src/inbox/droptree.ts";
import { runImport } from "../src/importer/run.ts";
import { saveJob, loadJob, type JobRecord } from "../src/store/jobs.ts";
import { openStore, type Store } from "../src/store/mod.ts";
import { createToken, createWebApp, Metrics, startWebServer, type WebDeps } from "../src/web/mod.ts";
import { DISTRICT, tempDir, writeBundle } from "./_bundle.ts";
import { until } from "./_until.ts";

let base: string;
let store: Store;
let config: Config;
let url: string;
let close: () => Promise<void>;
const queued: JobRecord[] = [];
let deps: WebDeps;

beforeAll(async () => {
  base = tempDir("rosterbox-web-");
  const yaml = `data_dir: ${join(base, "data")}
http: { listen: "127.0.0.1:0", max_upload_bytes: 200000 }
web_users:
  - { username: admin, password_hash: "${await hashPassword("correct horse")}", role: admin }
  - { username: clerk, password_hash: "${await hashPassword("battery staple")}", role: viewer }
tenants:
  - id: strata
    sftp_users:
      - { username: strata-sis, authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0vG0yDJNQvrjqsS5W1ykH4Eq2c1Ww1M9+fJVqvWJ6C sis@host"] }
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`;
  writeFileSync(join(base, "rosterbox.yaml"), yaml);
  config = parseConfig(yaml, join(base, "rosterbox.yaml"), {});
  ensureDropTree(config);
  store = openStore(config.data_dir);
  deps = { config, store, metrics: new Metrics(), hostKeys: ["ssh-ed25519 SHA256:test"], queued: (j) => queued.push(j), maxUploadBytes: 200_000 };
  const web = await startWebServer("127.0.0.1:0", deps);
  url = `http://127.0.0.1:${web.port}`;
  close = web.close;
}, 60_000);

afterAll(async () => {
  await close?.();
  await store?.close();
});

async function signIn(username: string, password: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ username, password, next: "/" }), redirect: "manual", headers: { Origin: url } });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get("set-cookie")!;
  const cookie = setCookie.split(";")[0]!;
  const page = await (await fetch(`${url}/upload`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  return { cookie, csrf, setCookie };
}

describe("the web app", () => {
  it("sends a signed-in user on only to a page of its own: not to another site however the address is written", async () => {
    const to = async (next: string) => {
      const res = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ username: "admin", password: "correct horse", next }), redirect: "manual", headers: { Origin: url } });
      return res.headers.get("location");
    };
    expect(await to("/jobs?tenant=strata&status=failed")).toBe("/jobs?tenant=strata&status=failed");
    // Browsers drop tabs and newlines from a URL: "/\t/evil.example" would go to //evil.example.
    for (const next of ["//evil.example/x", "/\\evil.example", "/\t/evil.example/x", "/\n/evil.example", "https://evil.example", "/ /evil.example"]) expect(await to(next), JSON.stringify(next)).toBe("/");
  });

  it("answers /healthz without sign-in, and nothing else", async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    // Walk every route the router knows, with made-up parameters.
    const app = createWebApp(deps);
    const open = new Set(["/healthz", "/login"]);
    const routes = app.routes.filter((r) => r.method !== "ALL" && !open.has(r.path));
    expect(routes.length).toBeGreaterThan(15);
    for (const r of routes) {
      const path = r.path.replace(/:(\w+)(\{[^}]*\})?/g, "x");
      const res = await fetch(`${url}${path}`, { method: r.method, redirect: "manual", headers: { Origin: url } });
      const api = path.startsWith("/api/") || path === "/metrics";
      expect([r.method, path, res.status]).toEqual([r.method, path, api ? 401 : 303]);
      if (!api) expect(res.headers.get("location")).toMatch(/^\/login/);
    }
  });

  it("signs in with a session cookie that scripts cannot read, and sends the security headers", async () => {
    const bad = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ username: "admin", password: "wrong" }), headers: { Origin: url } });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain("That user name and password do not match.");
    const { cookie, setCookie } = await signIn("admin", "correct horse");
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const res = await fetch(`${url}/`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const page = await res.text();
    expect(page).toContain("strata · OneRoster");
    expect(page).toContain("never");
    const out = await fetch(`${url}/logout`, { method: "POST", headers: { cookie, Origin: url, "content-type": "application/x-www-form-urlencoded" }, body: `_csrf=${(await signIn("admin", "correct horse")).csrf}`, redirect: "manual" });
    // A CSRF token of another session does not sign this one out.
    expect(out.status).toBe(403);
  });

  it("throttles repeated failed sign-ins", async () => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ username: "nobody", password: `guess${i}` }), headers: { Origin: url } });
      last = res.status;
    }
    expect(last).toBe(429);
    expect(deps.metrics.webLoginFailures).toBeGreaterThanOrEqual(5);
  });

  it("refuses a form post without the session's CSRF token, and viewers' admin actions", async () => {
    const admin = await signIn("admin", "correct horse");
    const noToken = await fetch(`${url}/jobs/x/approve`, { method: "POST", headers: { cookie: admin.cookie, Origin: url, "content-type": "application/x-www-form-urlencoded" }, body: "", redirect: "manual" });
    expect(noToken.status).toBe(403);
    const crossSite = await fetch(`${url}/jobs/x/approve`, { method: "POST", headers: { cookie: admin.cookie, Origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }, body: `_csrf=${admin.csrf}`, redirect: "manual" });
    expect(crossSite.status).toBe(403);
    const ok = await fetch(`${url}/jobs/x/approve`, { method: "POST", headers: { cookie: admin.cookie, Origin: url, "content-type": "application/x-www-form-urlencoded" }, body: `_csrf=${admin.csrf}`, redirect: "manual" });
    expect(ok.status).toBe(303);
    expect(decodeURIComponent(ok.headers.get("location")!)).toContain("no job x");

    const viewer = await signIn("clerk", "battery staple");
    const approve = await fetch(`${url}/api/jobs/x/approve`, { method: "POST", headers: { cookie: viewer.cookie, "x-csrf-token": viewer.csrf, Origin: url } });
    expect(approve.status).toBe(403);
    // Refused for the role, not by the Origin check.
    expect((await approve.json()).error).toMatch(/needs an admin/);
    const form = new FormData();
    form.append("_csrf", viewer.csrf);
    form.append("files", new Blob(["x"]), "users.csv");
    const upload = await fetch(`${url}/api/tenants/strata/feeds/OneRoster/uploads`, { method: "POST", headers: { cookie: viewer.cookie }, body: form });
    expect(upload.status).toBe(403);
    expect((await (await fetch(`${url}/upload`, { headers: { cookie: viewer.cookie } })).text())).toContain("Uploads need an admin");
  });

  it("takes Bearer tokens, stored only hashed", async () => {
    const token = createToken(store, "monitoring", "viewer");
    expect([...store.auth.getKeys({})].some((k) => String(k).includes(token))).toBe(false);
    const res = await fetch(`${url}/api/jobs`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jobs: [], next: null });
    expect((await fetch(`${url}/api/jobs`, { headers: { authorization: "Bearer rbx_not-a-token" } })).status).toBe(401);
    const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(await metrics.text()).toMatch(/^rosterbox_jobs\{status="held"\} 0$/m);
    // A configured token (its SHA-256 in the config) works too; the fixture's is the hash of "password".
    const configured = parseConfig(`data_dir: ${config.data_dir}\napi_tokens:\n  - { name: x, token_hash: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8" }\ntenants: []\n`, "x.yaml", {});
    const app = createWebApp({ ...deps, config: configured });
    expect((await app.request("/api/jobs", { headers: { authorization: "Bearer password" } })).status).toBe(200);
  });

  it("streams an upload to a dry-run job, and refuses one over the size limit with nothing kept", async () => {
    const token = createToken(store, "sis-script", "admin");
    const form = new FormData();
    for (const [name, text] of Object.entries(DISTRICT)) form.append("files", new Blob([text]), name);
    const res = await fetch(`${url}/api/tenants/strata/feeds/OneRoster/uploads?dry_run=true`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    expect(res.status).toBe(202);
    const job = await res.json() as { id: string; dryRun: boolean; status: string; files: string[] };
    expect(job).toMatchObject({ dryRun: true, status: "queued" });
    expect(job.files.sort()).toEqual(Object.keys(DISTRICT).sort());
    expect(queued.map((j) => j.id)).toContain(job.id);
    expect(readdirSync(join(config.data_dir, "uploads"))).toEqual([]);

    const big = new FormData();
    big.append("files", new Blob([Buffer.alloc(300_000, 97)]), "users.csv");
    const refused = await fetch(`${url}/api/tenants/strata/feeds/OneRoster/uploads`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: big });
    expect(refused.status).toBe(413);
    expect((await refused.json()).error).toMatch(/the limit is 200000 bytes/);
    expect(readdirSync(join(config.data_dir, "uploads"))).toEqual([]);

    const noFeed = await fetch(`${url}/api/tenants/strata/feeds/Nope/uploads`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    expect(noFeed.status).toBe(400);
    expect((await noFeed.json()).error).toBe('tenant strata has no feed "Nope"');
  });

  it("an upload whose client goes away half-way keeps nothing, and the server goes on", async () => {
    const token = createToken(store, "flaky-wifi", "admin");
    const uploads = join(config.data_dir, "uploads");
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const boundary = "XyZ";
      const socket = connect(Number(new URL(url).port), "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      socket.write(`POST /api/tenants/strata/feeds/OneRoster/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 150000\r\n\r\n`);
      socket.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="users.csv"\r\n\r\n${"sourcedId,status\n".repeat(2000)}`);
      // Cut off only once the file is being written, as when a tab closes mid-upload.
      await until("the upload's folder", () => existsSync(uploads) && readdirSync(uploads).length > 0, 10_000);
      socket.destroy();
      await until("the partial upload to be removed", () => readdirSync(uploads).length === 0, 10_000);
      await new Promise((r) => setTimeout(r, 200));
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("checks a multipart form post for the CSRF token too; only the upload reads it from the body itself", async () => {
    const admin = await signIn("admin", "correct horse");
    const multipart = (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      return form;
    };
    const post = (path: string, body: FormData, cookie = admin.cookie) => fetch(`${url}${path}`, { method: "POST", headers: { cookie, Origin: url }, body, redirect: "manual" });
    for (const path of ["/jobs/x/approve", "/jobs/x/cancel", "/api/jobs/x/approve", "/api/jobs/x/cancel", "/exports/strata/x/run", "/logout"]) {
      expect([path, (await post(path, multipart({}))).status]).toEqual([path, 403]);
      expect([path, (await post(path, multipart({ _csrf: "forged" }))).status]).toEqual([path, 403]);
    }
    // Still signed in: the refused sign-out did nothing.
    expect((await fetch(`${url}/api/jobs`, { headers: { cookie: admin.cookie } })).status).toBe(200);
    const ok = await post("/jobs/x/approve", multipart({ _csrf: admin.csrf }));
    expect(ok.status).toBe(303);
    expect(decodeURIComponent(ok.headers.get("location")!)).toContain("no job x");

    // The upload checks the field as the body streams, before any file is written.
    const upload = (csrf?: string) => {
      const form = multipart(csrf === undefined ? {} : { _csrf: csrf });
      for (const [name, text] of Object.entries(DISTRICT)) form.append("files", new Blob([text]), name);
      return post("/api/tenants/strata/feeds/OneRoster/uploads?dry_run=true", form);
    };
    expect((await upload()).status).toBe(403);
    expect((await upload("forged")).status).toBe(403);
    const accepted = await upload(admin.csrf);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ dryRun: true, status: "queued" });
  });

  it("ends a session whose user is no longer in web_users, and uses the role configured now", async () => {
    const admin = await signIn("admin", "correct horse");
    // A restart on the same data dir with the config edited: sessions are in the store, the users in the config.
    const restart = async (webUsers: NonNullable<Config["web_users"]>) => {
      const web = await startWebServer("127.0.0.1:0", { ...deps, config: { ...config, web_users: webUsers } });
      return { at: `http://127.0.0.1:${web.port}`, close: web.close };
    };
    const demoted = await restart(config.web_users!.map((u) => (u.username === "admin" ? { ...u, role: "viewer" as const } : u)));
    try {
      expect((await fetch(`${demoted.at}/api/jobs`, { headers: { cookie: admin.cookie } })).status).toBe(200);
      const approve = await fetch(`${demoted.at}/api/jobs/x/approve`, { method: "POST", headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf, Origin: demoted.at } });
      expect(approve.status).toBe(403);
      expect((await approve.json()).error).toMatch(/needs an admin/);
      expect(await (await fetch(`${demoted.at}/upload`, { headers: { cookie: admin.cookie } })).text()).toContain("Uploads need an admin");
    } finally {
      await demoted.close();
    }

    const removed = await restart(config.web_users!.filter((u) => u.username !== "admin"));
    try {
      expect((await fetch(`${removed.at}/api/jobs`, { headers: { cookie: admin.cookie } })).status).toBe(401);
      const page = await fetch(`${removed.at}/jobs`, { headers: { cookie: admin.cookie }, redirect: "manual" });
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toBe("/login?next=%2Fjobs");
    } finally {
      await removed.close();
    }
    // The stored session is gone: putting the user back in the config does not bring it back.
    expect((await fetch(`${url}/api/jobs`, { headers: { cookie: admin.cookie } })).status).toBe(401);
    expect((await fetch(`${url}/api/jobs`, { headers: { cookie: (await signIn("admin", "correct horse")).cookie } })).status).toBe(200);
  });

  it("lists jobs newest first with filters and a cursor, shows one with its results, and serves records", async () => {
    const token = createToken(store, "reader", "viewer");
    const auth = { authorization: `Bearer ${token}` };
    const bundle = writeBundle(DISTRICT);
    const done = await runImport(store, config.data_dir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle], resultsPath: join(base, "r.csv") });
    expect(done.status).toBe("complete");
    const one = await (await fetch(`${url}/api/jobs/${done.id}`, { headers: auth })).json();
    expect(one).toMatchObject({ id: done.id, tenant: "strata", status: "complete", dryRun: false, counts: { errors: 0 } });
    expect(one.counts.created).toBeGreaterThan(10);
    const csv = await fetch(`${url}/api/jobs/${done.id}/results.csv`, { headers: auth });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect((await csv.text()).split("\n")[0]).toBe("file,line,entity,sourcedId,action,status,message");
    expect((await fetch(`${url}/api/jobs/nope`, { headers: auth })).status).toBe(404);

    for (let i = 0; i < 5; i++) saveJob(store, { ...loadJob(store, done.id)!, id: `${done.id.slice(0, -7)}-f${i}0000`, status: "failed" });
    const failed = await (await fetch(`${url}/api/jobs?tenant=strata&status=failed&limit=3`, { headers: auth })).json();
    expect(failed.jobs).toHaveLength(3);
    expect(failed.jobs.every((j: { status: string }) => j.status === "failed")).toBe(true);
    const rest = await (await fetch(`${url}/api/jobs?tenant=strata&status=failed&limit=3&cursor=${failed.next}`, { headers: auth })).json();
    expect(rest.jobs).toHaveLength(2);
    expect(rest.next).toBeNull();
    expect((await fetch(`${url}/api/jobs?status=lost`, { headers: auth })).status).toBe(400);

    const users = await (await fetch(`${url}/api/tenants/strata/records/users?limit=2`, { headers: auth })).json();
    expect(users.records).toHaveLength(2);
    expect(users.records[0]).toMatchObject({ status: "active" });
    const id = users.records[0].sourcedId;
    const user = await (await fetch(`${url}/api/tenants/strata/records/users/${id}`, { headers: auth })).json();
    expect(user.sourcedId).toBe(id);
    expect((await fetch(`${url}/api/tenants/strata/records/users/nobody`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/api/tenants/strata/records/pets`, { headers: auth })).status).toBe(404);

    const admin = await signIn("admin", "correct horse");
    const page = await (await fetch(`${url}/jobs/${done.id}`, { headers: { cookie: admin.cookie } })).text();
    expect(page).toContain("No row was rejected.");
    expect(page).toContain(`/api/jobs/${done.id}/results.csv`);
    const list = await (await fetch(`${url}/jobs?status=failed`, { headers: { cookie: admin.cookie } })).text();
    expect(list.match(/badge bad">failed/g)).toHaveLength(5);
    const sftp = await (await fetch(`${url}/sftp`, { headers: { cookie: admin.cookie } })).text();
    expect(sftp).toContain("ssh-ed25519 SHA256:test");
    expect(sftp).toMatch(/ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} sis@host/);
    expect(existsSync(join(config.data_dir, "store"))).toBe(true);
  });
});
