// The protocol lab's figures, measured: chapter 8's table comes from this script.
//
// It starts the stack the end-to-end tests start (harness.mjs: the backend binary with
// `--lab-receiver`, the built web app, Chromium), opens /phases/8, signs in, and for each
// setting (short-polling interval, event rate) runs the lab until the page has sent
// `--events` chat lines (60) AND every transport has received at least that many — the
// generator keeps sending while the slowest transport catches up, so a run sends a few
// more. Then it stops the lab and reads every transport's figures from the page, as a
// person would read them off the panels. It prints one Markdown table per setting, with
// the date and the machine's load average (/proc/loadavg) before and after.
//
// Not a test (no `.test.mjs`: CI's e2e run does not pick it up) and asserts nothing about
// timings; it fails only when the lab does not get there within a generous time limit.
//
//   make lab-figures                 (builds what is missing, then runs this)
//   node e2e/lab-figures.mjs [--events 60] [--settings 1000:1,250:5,5000:0.5]
//
// A setting is `<interval ms>:<events per second>`, each one of the page's choices.

import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";

import { Stack, screenshot } from "./harness.mjs";

const TRANSPORTS = [
  ["short-poll", "short polling"],
  ["long-poll", "long polling"],
  ["sse", "SSE"],
  ["websocket", "WebSocket"],
  ["webhook", "webhook"],
];
/** How often connections held are sampled while the lab runs, ms. */
const SAMPLE_MS = 250;

const { values: options } = parseArgs({
  options: {
    events: { type: "string", default: "60" },
    settings: { type: "string", default: "1000:1,250:5,5000:0.5" },
  },
});
const events = Number(options.events);
if (!Number.isInteger(events) || events < 1) throw new Error(`--events must be a positive integer, not ${options.events}`);
const settings = options.settings.split(",").map((s) => {
  const [intervalMs, rate] = s.split(":").map(Number);
  if (!(intervalMs > 0 && rate > 0)) throw new Error(`a setting is <interval ms>:<events per second>, not ${JSON.stringify(s)}`);
  return { intervalMs, rate };
});

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const log = (line) => process.stderr.write(`lab-figures: ${line}\n`);

/** Every figure the page shows, read from its panels (and "N events sent"). */
async function readFigures(page) {
  return page.evaluate((ids) => {
    const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? "";
    const sent = Number(/(\d+) events sent/.exec(text("lab-sent"))?.[1] ?? NaN);
    const figures = {};
    for (const id of ids) {
      const [p50, p95] = text(`lab-latency-${id}`).split("/").map((s) => s.trim());
      figures[id] = {
        received: Number(text(`lab-received-${id}`)),
        p50,
        p95,
        requests: Number(text(`lab-requests-${id}`)),
        bytes: text(`lab-bytes-${id}`),
        problem: document.querySelector(`[data-testid="lab-problem-${id}"]`)?.textContent?.trim() ?? null,
      };
    }
    return { sent, figures };
  }, TRANSPORTS.map(([id]) => id));
}

/** Samples every transport's "connections held" in the page until `stopSampling`. */
async function startSampling(page) {
  await page.evaluate(
    ([ids, every]) => {
      const samples = Object.fromEntries(ids.map((id) => [id, []]));
      const timer = setInterval(() => {
        for (const id of ids) samples[id].push(Number(document.querySelector(`[data-testid="lab-connections-${id}"]`)?.textContent));
      }, every);
      window.__labSampling = { samples, timer };
    },
    [TRANSPORTS.map(([id]) => id), SAMPLE_MS],
  );
}

async function stopSampling(page) {
  return page.evaluate(() => {
    const { samples, timer } = window.__labSampling;
    clearInterval(timer);
    return samples;
  });
}

async function runSetting(page, { intervalMs, rate }) {
  await page.getByTestId("lab-interval").selectOption(String(intervalMs));
  await page.getByTestId("lab-rate").selectOption(String(rate));
  const loadBefore = loadAverage();
  const startedAt = Date.now();
  await page.getByTestId("lab-start").click();
  await startSampling(page);
  // The run: until `events` were sent and every transport received at least as many.
  // Generous: the events take events/rate s, the slowest transport one interval more.
  const timeout = (events / rate) * 1_000 * 2 + intervalMs + 60_000;
  log(`interval ${intervalMs} ms, ${rate}/s: running until ${events} events arrived everywhere (at most ${Math.round(timeout / 1000)} s)`);
  try {
    await page.waitForFunction(
      ([ids, n]) => {
        const count = (id) => Number(document.querySelector(`[data-testid="${id}"]`)?.textContent);
        const sent = Number(/(\d+) events sent/.exec(document.querySelector('[data-testid="lab-sent"]')?.textContent ?? "")?.[1]);
        return sent >= n && ids.every((id) => count(`lab-received-${id}`) >= n);
      },
      [TRANSPORTS.map(([id]) => id), events],
      { timeout, polling: 100 },
    );
  } catch (error) {
    const shot = await screenshot(page, `lab-figures-${intervalMs}-${rate}`);
    throw new Error(`the lab did not get there: ${JSON.stringify(await readFigures(page))} (screenshot: ${shot})\n${error.message}`);
  }
  const samples = await stopSampling(page);
  await page.getByTestId("lab-stop").click();
  await page.getByTestId("lab-sent").filter({ hasText: "Stopped" }).waitFor();
  const seconds = (Date.now() - startedAt) / 1_000;
  return { intervalMs, rate, seconds, loadBefore, loadAfter: loadAverage(), samples, ...(await readFigures(page)) };
}

function table(run) {
  const rows = [
    `### Short-poll interval ${run.intervalMs} ms, ${run.rate} events/s`,
    "",
    `${run.sent} events sent in ${run.seconds.toFixed(0)} s; load average ${run.loadBefore} before, ${run.loadAfter} after.`,
    "",
    "| transport | received | latency p50 | latency p95 | requests | requests per event | bytes per event | connections held (mean / max) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [id, name] of TRANSPORTS) {
    const f = run.figures[id];
    const held = run.samples[id].filter(Number.isFinite);
    const mean = held.length ? held.reduce((a, b) => a + b, 0) / held.length : NaN;
    const perEvent = f.received ? (f.requests / f.received).toFixed(2) : "–";
    const problem = f.problem ? ` (${f.problem})` : "";
    rows.push(`| ${name}${problem} | ${f.received} | ${f.p50} | ${f.p95} | ${f.requests} | ${perEvent} | ${f.bytes} | ${mean.toFixed(2)} / ${Math.max(...held)} |`);
  }
  return rows.join("\n");
}

const stack = new Stack({ backendArgs: ["--lab-receiver"] });
let failed = false;
try {
  const date = new Date().toISOString();
  log("starting the backend (--lab-receiver), the web app and Chromium");
  await stack.start();
  const page = await stack.newPage();
  const board = `lab-figures-${process.pid}`;
  await page.goto(`${stack.web.url}/phases/8?board=${board}`);
  await page.getByTestId("sse-name-input").fill("Ana");
  await page.getByTestId("sse-join").click();
  await page.getByTestId("lab-access").filter({ hasText: "on a private server" }).waitFor();

  const runs = [];
  for (const setting of settings) runs.push(await runSetting(page, setting));

  console.log(`## Protocol lab figures, ${date}`);
  console.log("");
  console.log(
    `One run in Chromium on one machine (${os.cpus().length} CPUs, ${os.type()} ${os.release()}), browser and server on 127.0.0.1; ` +
      `each setting runs until ${events} events were sent and every transport received at least ${events}. ` +
      `Latency: page clock, from sending the line to its arrival. Bytes: what the page can see (a lower bound). ` +
      `Connections held: sampled every ${SAMPLE_MS} ms while running.`,
  );
  for (const run of runs) console.log(`\n${table(run)}`);
  if (stack.pageErrors.length) {
    failed = true;
    log(`the page threw: ${stack.pageErrors.map(String).join("; ")}`);
  }
} catch (error) {
  failed = true;
  log(`${error.stack ?? error}\n${stack.logs()}`);
} finally {
  await stack.close();
}
process.exitCode = failed ? 1 : 0;
