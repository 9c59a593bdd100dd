/**
 * The appliance's job overhead (issue: 1,000 small submissions dropped at
 * once; latency from `.done` written to job complete). Starts `rosterbox
 * serve` on a scratch config with four tenants, then:
 *  - idle latency: ten small submissions one after the other;
 *  - a burst: N submissions (default 1,000) dropped at once across the tenants.
 *
 * `node --import tsx test/bench/serve.ts [N]`; also run by `npm run bench`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TENANTS = ["t1", "t2", "t3", "t4"];

interface Line {
  time: string;
  event: string;
  status?: string;
  id?: string;
  manifest?: string;
}

export interface ServeFigures {
  idleP50: number;
  idleP95: number;
  burst: number;
  burstSeconds: number;
  perSecond: number;
  burstP50: number;
  burstP95: number;
  allComplete: boolean;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** Runs the serve benchmark; `count` submissions in the burst. */
export async function benchServe(count = 1000): Promise<ServeFigures> {
  const base = mkdtempSync(join(ROOT, "bench-data", "serve-"));
  const dataDir = join(base, "data");
  const config = join(base, "rosterbox.yaml");
  writeFileSync(config, `data_dir: ${dataDir}\njobs: { parallel: 2 }\ntenants:\n${TENANTS.map((t) => `  - id: ${t}\n    feeds:\n      - { folder: Xml, format: ims-xml, submission: manifest }\n`).join("")}`);
  const child = spawn(process.execPath, [join(ROOT, "bin", "rosterbox.mjs"), "serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: Line[] = [];
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (text.startsWith("{")) lines.push(JSON.parse(text) as Line);
    }
  });
  const wait = async (ok: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error("serve benchmark timed out");
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await wait(() => lines.some((l) => l.event === "ready"), 30_000);
    const written = new Map<string, number>();
    let n = 0;
    const drop = (tenant: string) => {
      const folder = join(dataDir, "tenants", tenant, "Xml");
      const name = `s${n++}`;
      writeFileSync(join(folder, `${name}.xml`), `<enterprise><person><sourcedid><id>P${n}</id></sourcedid><userid>u${n}</userid><name><n><family>F${n}</family><given>G</given></n></name></person></enterprise>`);
      writeFileSync(join(folder, `${name}.done`), `<manifest><file name="${name}.xml" checksum="" checksumhashtype="none"/></manifest>`);
      written.set(join(folder, `${name}.done`), Date.now());
    };
    const latencies = (from: number) => {
      const queued = new Map(lines.filter((l) => l.event === "job" && l.status === "queued").map((l) => [l.id!, l.manifest!]));
      return lines
        .filter((l, i) => i >= from && l.event === "job" && l.status === "complete" && queued.has(l.id!))
        .map((l) => Date.parse(l.time) - written.get(queued.get(l.id!)!)!);
    };
    const complete = () => lines.filter((l) => l.event === "job" && (l.status === "complete" || l.status === "failed")).length;

    const idleStart = lines.length;
    for (let i = 0; i < 10; i++) {
      const before = complete();
      drop(TENANTS[0]!);
      await wait(() => complete() > before, 30_000);
    }
    const idle = latencies(idleStart);

    const burstStart = lines.length;
    const before = complete();
    const t0 = Date.now();
    for (let i = 0; i < count; i++) drop(TENANTS[i % TENANTS.length]!);
    await wait(() => complete() >= before + count, 3_600_000);
    const burstSeconds = (Date.now() - t0) / 1000;
    const burst = latencies(burstStart);
    const ok = lines.filter((l, i) => i >= burstStart && l.event === "job" && l.status === "complete").length === count;
    return {
      idleP50: quantile(idle, 0.5), idleP95: quantile(idle, 0.95), burst: count, burstSeconds, perSecond: count / burstSeconds,
      burstP50: quantile(burst, 0.5), burstP95: quantile(burst, 0.95), allComplete: ok,
    };
  } finally {
    child.kill("SIGTERM");
    rmSync(base, { recursive: true, force: true });
  }
}

/** The figures as a Markdown table. */
export function serveMarkdown(f: ServeFigures): string {
  return [
    "| appliance: small manifest submissions (ims-xml, 1 person each) | figure |",
    "| --- | ---: |",
    `| idle latency, .done written → job complete, p50 / p95 | ${f.idleP50} / ${f.idleP95} ms |`,
    `| burst of ${f.burst} dropped at once over 4 tenants (2 in parallel): all complete | ${f.allComplete ? "yes" : "NO"} |`,
    `| burst: wall time, submissions/s | ${f.burstSeconds.toFixed(1)} s, ${f.perSecond.toFixed(1)}/s |`,
    `| burst latency p50 / p95 | ${(f.burstP50 / 1000).toFixed(1)} / ${(f.burstP95 / 1000).toFixed(1)} s |`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  mkdirSync(join(ROOT, "bench-data"), { recursive: true });
  const f = await benchServe(Number(process.argv[2] ?? 1000));
  console.log(serveMarkdown(f));
}
