/**
 * Exports inside a real `rosterbox serve`: a profile on a schedule writes
 * its file into the tenant's exports/ by itself, "run now" through the API
 * (admin token) queues a job that writes one, the preview shows the mapped
 * records, and a viewer token may look but not run.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DISTRICT, tempDir, writeBundle } from "./_bundle.ts";
import { CLI, spawnServe } from "./_serve.ts";
import { until } from "./_until.ts";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

describe("exports in serve", () => {
  it("runs on its schedule and on demand, and previews", async () => {
    const base = tempDir("rosterbox-serve-exports-");
    const dataDir = join(base, "data");
    const config = join(base, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${dataDir}
http: { listen: "127.0.0.1:0" }
time_zone: UTC
tenants:
  - id: strata
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
    exports:
      - name: students
        entity: users
        where: { role: student }
        schedule: "*/2 * * * * *"
        delta: true
        file: { name: "students_{YYYY}{MM}{DD}", line_ending: lf }
        fields:
          - { from: identifier, to: Number }
          - { from: familyName, to: Last, transform: upper }
      - name: sections
        entity: classes
        overwrite: true
        fields:
          - { from: classCode, to: Code }
          - { from: course.title, to: Course }
`);
    // Import first, without the service, so the schedule finds records.
    const imported = spawnSync(process.execPath, [CLI, "import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", writeBundle(DISTRICT)], { encoding: "utf8" });
    expect(imported.status, imported.stderr).toBe(0);
    const admin = spawnSync(process.execPath, [CLI, "token", "create", "--config", config, "--name", "ops", "--role", "admin"], { encoding: "utf8" }).stdout.trim();
    const viewer = spawnSync(process.execPath, [CLI, "token", "create", "--config", config, "--name", "look"], { encoding: "utf8" }).stdout.trim();

    const served = spawnServe(config);
    children.push(served.child);
    const http = await until("the web server", () => served.lines().find((l) => l.event === "http"));
    const url = `http://127.0.0.1:${http.port}`;
    const exports = join(dataDir, "tenants", "strata", "exports");

    // The schedule (every 2 s): one file with the three students; later runs find nothing new and write nothing.
    const scheduled = await until("the scheduled file", () => readdirSync(exports).find((f) => f.startsWith("students_")), 30_000);
    expect(readFileSync(join(exports, scheduled), "utf8")).toBe("Number,Last\n1001,LOVELACE\n1002,TURING\n1003,\"HOPPER, JR\"\n");
    await until("a run that found nothing new", () => served.lines().some((l) => l.event === "job" && l.feed === "exports/students" && String(l.message).startsWith("nothing changed")), 30_000);
    expect(readdirSync(exports).filter((f) => f.startsWith("students_"))).toHaveLength(1);

    // On demand through the API.
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const preview = await (await fetch(`${url}/api/tenants/strata/exports/sections/preview`, { headers: auth(viewer) })).json();
    expect(preview).toEqual({ columns: ["Code", "Course"], rows: [["ALG1-1", "Algebra I"], ["BIO-2", "Biology"]], errors: [] });
    expect((await fetch(`${url}/api/tenants/strata/exports/sections/run`, { method: "POST", headers: auth(viewer) })).status).toBe(403);
    const started = await fetch(`${url}/api/tenants/strata/exports/sections/run`, { method: "POST", headers: auth(admin) });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string };
    const done = await until("the run", () => served.lines().find((l) => l.event === "job" && l.id === job.id && l.status === "complete"), 30_000);
    expect(done.message).toBe("2 rows written to exports/sections.csv");
    expect(readFileSync(join(exports, "sections.csv"), "utf8")).toBe("Code,Course\r\nALG1-1,Algebra I\r\nBIO-2,Biology\r\n");
    const list = await (await fetch(`${url}/api/tenants/strata/exports`, { headers: auth(viewer) })).json() as { exports: { name: string; lastRun: { job: string; file: string } | null; nextRun: string | null }[] };
    expect(list.exports.find((e) => e.name === "sections")!.lastRun).toMatchObject({ job: job.id, file: "exports/sections.csv" });
    expect(list.exports.find((e) => e.name === "students")!.nextRun).not.toBeNull();
  });
});
