/**
 * The status page in a real browser (playwright-core driving Debian's
 * chromium) against a real `rosterbox serve`: refused without sign-in, sign
 * in, upload a bundle as a dry run, watch the job finish, read its errors,
 * download the results, apply a bundle, approve a held one — and the API
 * with a token made by `rosterbox token create` while the service runs.
 * Screenshots at laptop and phone widths land in test-artifacts/.
 *
 * Needs /usr/bin/chromium (apt-get install chromium): skipped locally
 * without it, a failure in CI.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { hashPassword } from "../src/config/secrets.ts";
import { DISTRICT, tempDir, writeBundle } from "./_bundle.ts";
import { CLI, spawnServe, type Served } from "./_serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
if (!have) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
const ARTIFACTS = join(import.meta.dirname, "..", "test-artifacts");

let served: Served;
let browser: Browser;
let url: string;
let base: string;
let config: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!have) return;
  base = tempDir("rosterbox-browser-");
  config = join(base, "rosterbox.yaml");
  writeFileSync(config, `data_dir: ${join(base, "data")}
http: { listen: "127.0.0.1:0" }
web_users:
  - { username: admin, password_hash: "${await hashPassword("correct horse")}", role: admin }
tenants:
  - id: strata
    name: Strata University
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`);
  served = spawnServe(config);
  children.push(served.child);
  const line = await served.logged("http");
  url = `http://127.0.0.1:${line.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const c of children) c.kill("SIGKILL");
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${url}/`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', "correct horse");
  await page.click('button[type="submit"]');
  await page.waitForURL(`${url}/`);
}

/** Uploads files through the form; returns the job id the page went to. */
async function upload(page: Page, files: string[], dryRun: boolean): Promise<string> {
  await page.goto(`${url}/upload`);
  await page.setInputFiles('input[type="file"]', files);
  if (!dryRun) await page.uncheck('input[name="dry_run"]');
  await page.click('form.card button[type="submit"]');
  await page.waitForURL(/\/jobs\/[^/]+$/);
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
}

async function waitForStatus(page: Page, status: string): Promise<void> {
  // The page reloads itself when a running job ends (page script polling the API).
  await page.waitForSelector(`h1 .badge:text-is("${status}")`, { timeout: 30_000 });
}

describe.skipIf(!have)("the status page in chromium", () => {
  it("refuses the unsigned, then signs in, uploads, shows errors, downloads results, and decides a held job", async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on("pageerror", (e) => scriptErrors.push(e.message));
    page.on("console", (m) => m.type() === "error" && scriptErrors.push(m.text()));

    const api = await page.request.get(`${url}/api/jobs`);
    expect(api.status()).toBe(401);
    await signIn(page);
    expect(await page.textContent("h1")).toBe("Dashboard");

    // A dry run of a bundle with one bad row: nothing applied, the error shown with file and line.
    const bad = { ...DISTRICT, "users.csv": DISTRICT["users.csv"]! + "u9,,,true,s1,wizard,u9,,Bad,Role,,9,,,,,,\n" };
    const dry = writeBundle(bad);
    const dryId = await upload(page, Object.keys(bad).concat("manifest.csv").map((f) => join(dry, f)), true);
    await waitForStatus(page, "incomplete");
    expect(await page.textContent("h1")).toContain("dry run");
    const errorRow = page.locator("table tr", { hasText: "u9" });
    expect(await errorRow.textContent()).toMatch(/users\.csv.*role/s);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download the results CSV")]);
    const csv = readFileSync((await download.path())!, "utf8");
    expect(csv.split("\n")[0]).toBe("file,line,entity,sourcedId,action,status,message");
    expect(csv).toMatch(/users\.csv,\d+,users,u9,skip,ERROR,/);
    await page.screenshot({ path: join(ARTIFACTS, "job-laptop.png"), fullPage: true });

    // Apply the clean bundle, then one that would delete most orgs: held, approved in the page.
    const good = writeBundle(DISTRICT);
    await upload(page, Object.keys(DISTRICT).concat("manifest.csv").map((f) => join(good, f)), false);
    await waitForStatus(page, "complete");
    const cut = writeBundle({ "orgs.csv": DISTRICT["orgs.csv"]!.split("\n").slice(0, 2).join("\n") + "\n" });
    const heldId = await upload(page, [join(cut, "orgs.csv"), join(cut, "manifest.csv")], false);
    await waitForStatus(page, "held");
    expect(await page.textContent("main")).toContain("Held: nothing has been applied.");
    expect(await page.locator("table tr", { hasText: "s2" }).count()).toBeGreaterThan(0);
    await page.goto(`${url}/`);
    expect(await page.textContent(".notice")).toContain("1 job held for a decision");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-laptop.png"), fullPage: true });
    await page.goto(`${url}/jobs/${heldId}`);
    await page.click("text=Approve and apply");
    await page.waitForURL(/flash=/);
    await waitForStatus(page, "complete");
    expect(await page.textContent("main")).toMatch(/deleted/i);

    // The job list filters; the dry run is there with its status.
    await page.goto(`${url}/jobs?status=incomplete`);
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.textContent("tbody")).toContain(dryId);

    // Phone width: the same pages, readable.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    const small = await phone.newPage();
    await small.goto(`${url}/`);
    await small.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
    await small.goto(`${url}/jobs/${dryId}`);
    await small.screenshot({ path: join(ARTIFACTS, "job-phone.png"), fullPage: true });
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(scriptErrors).toEqual([]);
    await phone.close();
    await context.close();
  });

  it("gives the API to a token made with `rosterbox token create` while serving", async () => {
    const r = spawnSync(process.execPath, [CLI, "token", "create", "--config", config, "--name", "monitoring"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^rbx_[A-Za-z0-9_-]{43}$/);
    const res = await fetch(`${url}/api/jobs?limit=2`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { jobs: { status: string }[]; next: string | null };
    expect(body.jobs).toHaveLength(2);
    expect(body.next).not.toBeNull();
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^rosterbox_jobs\{status="complete"\} 2$/m);
    expect(metrics).toMatch(/^rosterbox_rows_imported_total \d+$/m);
    // A viewer token cannot approve.
    expect((await fetch(`${url}/api/jobs/x/approve`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  });
});
