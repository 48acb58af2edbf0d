// End-to-end harness: a real backend process, the built web app (`next start`) and
// Debian's Chromium driven by playwright-core, wired together on free loopback ports.
//
// Usage in a test file (node --test):
//
//   import { test } from "node:test";
//   import { setupStack, waitForTestIdText } from "./harness.mjs";
//
//   const stack = setupStack();          // registers before/after hooks
//   test("...", async () => {
//     const page = await stack.newPage();
//     await page.goto(`${stack.web.url}/phases/1`);
//     await waitForTestIdText(page, "health-status", "healthy");
//     await stack.backend.stop();        // SIGTERM to the process we started, and only it
//     await stack.backend.restart();     // same port, so the web app's URL stays valid
//     stack.backend.signal("SIGSTOP");   // freeze it (and "SIGCONT" to let it run on)
//   });
//
// Rules this file keeps:
// - it signals only processes it spawned (each in its own process group, so a wrapper's
//   children go too), and stops them in an `after` hook and on exit, even after a failure;
// - every wait is an event or a bounded poll with a timeout, never a blind sleep.
//
// Environment:
//   LIVEBOARD_BACKEND_BIN  backend binary; default ../target/debug/liveboard (relative
//                          paths are resolved from web/)
//   LIVEBOARD_CHROMIUM     browser executable; default /usr/bin/chromium
//   LIVEBOARD_E2E_HEADED   set to 1 to watch the browser (needs a display)
//
// The backend's store: every `Backend` gets a fresh temporary data directory
// (`LIVEBOARD_DATA_DIR`, which binaries without a store simply ignore) unless its `env`
// names one, kept across `restart()` so a restarted backend finds its boards again, and
// removed by `dispose()` (the stack's `close()`) or, at the latest, when the process exits.
// Nothing is ever written in the work tree. Extra flags and environment:
// `setupStack({ backendArgs, backendEnv })`.
//
// Boards are private by default: a test whose clients sign in (the pages do) runs on the
// default, and shares a board with a second person as its owner would
// (`shareBoard`); a test that is not about access and whose clients do not sign in passes
// `--board-access open` (`OPEN_BOARDS`).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { once } from "node:events";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import WebSocket from "ws";

/** The web/ directory (this file lives in web/e2e/). */
export const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));

/** Where failure screenshots go (git-ignored). */
export const ARTIFACTS_DIR = path.join(WEB_DIR, "e2e", ".artifacts");

/** The backend binary the tests start. */
export const BACKEND_BIN = path.resolve(WEB_DIR, process.env.LIVEBOARD_BACKEND_BIN || "../target/debug/liveboard");

/** The Chromium the tests drive; playwright-core never downloads a browser of its own. */
export const CHROMIUM_BIN = process.env.LIVEBOARD_CHROMIUM || "/usr/bin/chromium";

/** Flags for a quiet, offline, container-friendly Chromium. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Default time limits (ms). Generous: the CI machine has 2 cores shared with cargo. */
export const TIMEOUTS = {
  backendStart: 20_000,
  webStart: 60_000,
  stop: 10_000,
  /** Waiting for something to appear on a page. */
  ui: 15_000,
};

/** The backend's first stdout line, its machine-readable announcement. */
const LISTENING_LINE = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

// ---------------------------------------------------------------------------------------
// Small helpers

/** A free TCP port on 127.0.0.1: bind port 0, read the port the kernel chose, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not read the bound port"))));
    });
  });
}

/** Resolves `promise`, or rejects with `message` after `ms` milliseconds. */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (timed out after ${ms} ms)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms`: only for pacing a bounded poll loop, never as a wait in a test. */
function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last `limit` characters of a process's output, for error messages. */
class OutputTail {
  #text = "";
  #limit;

  constructor(limit = 8_000) {
    this.#limit = limit;
  }

  push(chunk) {
    this.#text = (this.#text + chunk.toString()).slice(-this.#limit);
  }

  toString() {
    return this.#text.trim() || "(no output)";
  }
}

// ---------------------------------------------------------------------------------------
// Child processes

/** Every process spawned and not yet known to have exited: the exit safety net's list. */
const live = new Set();
/** Temporary data directories created and not yet removed. */
const tempDirs = new Set();

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

function killGroupNow(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

// Safety net for paths that skip `after` (an uncaught error, Ctrl-C): kill what we started.
process.once("exit", () => {
  for (const child of live) killGroupNow(child);
  for (const dir of tempDirs) {
    try {
      removeDir(dir);
    } catch {
      // best effort: it is under the system's temporary directory anyway
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const child of live) killGroupNow(child);
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

/**
 * One spawned process in its own process group, with its output kept and its exit
 * observable as a promise.
 */
export class ManagedProcess {
  /** @type {import("node:child_process").ChildProcess} */
  child;
  /** Resolves with `{ code, signal }` once the process has exited. */
  exited;
  stdoutTail = new OutputTail();
  stderrTail = new OutputTail();
  #exitInfo = null;

  constructor(name, command, args, options) {
    this.name = name;
    this.child = spawn(command, args, {
      ...options,
      // Own process group: `stop()` signals -pid, reaching a wrapper's children too,
      // and nothing that is not ours.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exitInfo = { code, signal };
        live.delete(this.child);
        resolve(this.#exitInfo);
      });
      this.child.once("error", (error) => {
        this.stderrTail.push(`spawn error: ${error.message}\n`);
        this.#exitInfo = { code: null, signal: null, error };
        live.delete(this.child);
        resolve(this.#exitInfo);
      });
    });
    this.child.stderr.on("data", (chunk) => this.stderrTail.push(chunk));
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.#exitInfo === null;
  }

  describeExit() {
    const info = this.#exitInfo;
    if (!info) return `${this.name} is still running`;
    if (info.error) return `${this.name} could not start: ${info.error.message}`;
    return `${this.name} exited (${info.signal ? `signal ${info.signal}` : `code ${info.code}`})`;
  }

  /** Output for an error message. */
  logs() {
    return `--- ${this.name} stdout ---\n${this.stdoutTail}\n--- ${this.name} stderr ---\n${this.stderrTail}`;
  }

  /** SIGTERM the group, wait for the exit, SIGKILL if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = TIMEOUTS.stop) {
    if (!this.running) return;
    try {
      process.kill(-this.pid, "SIGTERM");
      // A process frozen with SIGSTOP acts on SIGTERM only once it runs again.
      process.kill(-this.pid, "SIGCONT");
    } catch {
      // exited between the check and the signal
    }
    try {
      await withTimeout(this.exited, timeoutMs, `${this.name} did not exit after SIGTERM`);
    } catch {
      killGroupNow(this.child);
      await withTimeout(this.exited, timeoutMs, `${this.name} did not exit after SIGKILL`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The backend

/**
 * The Liveboard backend binary. It announces its address as its first stdout line,
 * `listening on http://127.0.0.1:PORT`, and logs to stderr.
 */
export class Backend {
  /** @type {ManagedProcess | null} */
  #process = null;
  #bind;
  #allowedOrigins;
  #bin;
  #args;
  #env;
  /** The temporary data directory this backend created (and will remove), if any. */
  #ownDataDir = null;
  /** Base URL, e.g. `http://127.0.0.1:40123`; set by the first successful `start()`. */
  url = null;
  port = null;

  /**
   * @param {object} options
   * @param {string} [options.bin] the binary
   * @param {string} options.allowedOrigins `LIVEBOARD_ALLOWED_ORIGINS`
   * @param {string} [options.bind] first bind address (port 0: any)
   * @param {string[]} [options.args] extra command-line arguments, after `--bind`
   * @param {Record<string, string>} [options.env] extra environment variables
   */
  constructor({ bin = BACKEND_BIN, allowedOrigins, bind = "127.0.0.1:0", args = [], env = {} }) {
    this.#bin = bin;
    this.#args = args;
    this.#env = env;
    this.#allowedOrigins = allowedOrigins;
    this.#bind = bind;
  }

  get pid() {
    return this.#process?.pid ?? null;
  }

  get running() {
    return this.#process?.running ?? false;
  }

  /** Starts the backend and waits for its `listening on` line. */
  async start({ timeoutMs = TIMEOUTS.backendStart } = {}) {
    if (this.running) throw new Error("backend is already running");
    if (!existsSync(this.#bin)) {
      throw new Error(
        `backend binary not found: ${this.#bin}\n` +
          "Build it first (`cargo build -p liveboard` in the repository root) or set LIVEBOARD_BACKEND_BIN.",
      );
    }
    if (!this.#env.LIVEBOARD_DATA_DIR && !this.#ownDataDir) {
      // A store of its own, outside the work tree, that survives `restart()`.
      this.#ownDataDir = mkdtempSync(path.join(os.tmpdir(), "liveboard-e2e-"));
      tempDirs.add(this.#ownDataDir);
    }
    const store = this.#ownDataDir ? { LIVEBOARD_DATA_DIR: this.#ownDataDir } : {};
    const proc = new ManagedProcess("backend", this.#bin, ["--bind", this.#bind, ...this.#args], {
      env: { ...process.env, LIVEBOARD_ALLOWED_ORIGINS: this.#allowedOrigins, ...store, ...this.#env },
    });
    this.#process = proc;

    const lines = readline.createInterface({ input: proc.child.stdout });
    lines.on("line", (line) => proc.stdoutTail.push(`${line}\n`));
    const firstLine = new Promise((resolve) => lines.once("line", resolve));
    const exitedFirst = proc.exited.then(() => null);

    let line;
    try {
      line = await withTimeout(
        Promise.race([firstLine, exitedFirst]),
        timeoutMs,
        `backend (${this.#bin}) printed no "listening on" line`,
      );
    } catch (error) {
      await proc.stop();
      throw new Error(`${error.message}\n${proc.logs()}`);
    }
    if (line === null) {
      throw new Error(`${proc.describeExit()} before listening\n${proc.logs()}`);
    }
    const match = LISTENING_LINE.exec(line);
    if (!match) {
      await proc.stop();
      throw new Error(`backend's first stdout line is ${JSON.stringify(line)}, expected "listening on http://127.0.0.1:PORT"`);
    }
    this.url = match[1];
    this.port = Number(match[2]);
    // From now on bind the same port, so a restart keeps the URL the web app was given.
    this.#bind = `127.0.0.1:${this.port}`;
    return this.url;
  }

  /**
   * Sends `signal` to the backend this harness started (its process group: a wrapper's
   * children too, nothing else). `SIGSTOP` freezes it, a half-open link as its clients see
   * it: their sockets stay open and nothing arrives; `SIGCONT` lets it run on.
   */
  signal(signal) {
    if (!this.running) throw new Error(`cannot send ${signal}: the backend is not running`);
    process.kill(-this.pid, signal);
  }

  /** Stops the backend this harness started (SIGTERM, then SIGKILL after a timeout). */
  async stop(timeoutMs) {
    await this.#process?.stop(timeoutMs);
  }

  /** The backend's data directory (`LIVEBOARD_DATA_DIR`), once started. */
  get dataDir() {
    return this.#env.LIVEBOARD_DATA_DIR ?? this.#ownDataDir;
  }

  /** Stops the backend and removes the temporary data directory it created. */
  async dispose(timeoutMs) {
    await this.stop(timeoutMs);
    if (this.#ownDataDir) {
      removeDir(this.#ownDataDir);
      this.#ownDataDir = null;
    }
  }

  /**
   * Starts the backend again on the port it had. The port can stay busy for a moment
   * after the old process exits, so a failed bind is retried until `timeoutMs`.
   */
  async restart({ timeoutMs = TIMEOUTS.backendStart } = {}) {
    await this.stop();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.start({ timeoutMs: Math.max(1, deadline - Date.now()) });
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await pause(200);
      }
    }
  }

  logs() {
    return this.#process?.logs() ?? "(backend never started)";
  }
}

// ---------------------------------------------------------------------------------------
// The web app

/**
 * The book's address the web app is given at run time (`LIVEBOARD_BOOK_URL`): nothing
 * serves it, the tests check that the pages link there.
 */
export const BOOK_URL = "http://127.0.0.1:3901/book";

/** The built Next.js app, served by `next start`. */
export class WebApp {
  /** @type {ManagedProcess | null} */
  #process = null;
  #backendUrl;
  port;
  url;

  constructor({ port, backendUrl }) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#backendUrl = backendUrl;
  }

  /** Starts `next start` and waits until it answers HTTP. */
  async start({ timeoutMs = TIMEOUTS.webStart } = {}) {
    if (!existsSync(path.join(WEB_DIR, ".next", "BUILD_ID"))) {
      throw new Error("no production build in web/.next: run `npm run build` before `npm run e2e`");
    }
    const nextBin = path.join(WEB_DIR, "node_modules", ".bin", "next");
    const proc = new ManagedProcess(
      "web",
      nextBin,
      ["start", "--hostname", "127.0.0.1", "--port", String(this.port)],
      {
        cwd: WEB_DIR,
        env: {
          ...process.env,
          LIVEBOARD_BACKEND_URL: this.#backendUrl,
          LIVEBOARD_BOOK_URL: BOOK_URL,
          NEXT_TELEMETRY_DISABLED: "1",
          NODE_ENV: "production",
        },
      },
    );
    proc.child.stdout.on("data", (chunk) => proc.stdoutTail.push(chunk));
    this.#process = proc;

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!proc.running) {
        throw new Error(`${proc.describeExit()} before answering HTTP\n${proc.logs()}`);
      }
      try {
        await fetch(`${this.url}/`, { signal: AbortSignal.timeout(5_000) });
        return this.url; // any HTTP answer means the server is up
      } catch {
        // not listening yet
      }
      if (Date.now() >= deadline) {
        await proc.stop();
        throw new Error(`web app did not answer on ${this.url} within ${timeoutMs} ms\n${proc.logs()}`);
      }
      await pause(250);
    }
  }

  async stop(timeoutMs) {
    await this.#process?.stop(timeoutMs);
  }

  logs() {
    return this.#process?.logs() ?? "(web app never started)";
  }
}

// ---------------------------------------------------------------------------------------
// The whole stack

/** Backend + web app + browser, started in the order their configuration needs. */
export class Stack {
  /** @type {Backend | null} */
  backend = null;
  /** @type {WebApp | null} */
  web = null;
  /** @type {import("playwright-core").Browser | null} */
  browser = null;
  /** Uncaught errors thrown in any page, collected for assertions. */
  pageErrors = [];
  #backendArgs;
  #backendEnv;

  /**
   * @param {object} [options]
   * @param {string[]} [options.backendArgs] extra backend flags (after `--bind`)
   * @param {Record<string, string>} [options.backendEnv] extra backend environment
   */
  constructor({ backendArgs = [], backendEnv = {} } = {}) {
    this.#backendArgs = backendArgs;
    this.#backendEnv = backendEnv;
  }

  async start() {
    // The backend must know the web app's origin (CORS) before the web app knows the
    // backend's URL, so the web port is chosen first.
    const webPort = await freePort();
    const webOrigin = `http://127.0.0.1:${webPort}`;

    this.backend = new Backend({ allowedOrigins: webOrigin, args: this.#backendArgs, env: this.#backendEnv });
    await this.backend.start();

    this.web = new WebApp({ port: webPort, backendUrl: this.backend.url });
    await this.web.start();

    this.browser = await launchChromium();
  }

  /** A page in a fresh browser context; uncaught page errors land in `pageErrors`. */
  async newPage() {
    if (!this.browser) throw new Error("stack is not started");
    return openPage(this.browser, this.pageErrors);
  }

  /** Process output of backend and web app, for a failing test's message. */
  logs() {
    return `${this.backend?.logs() ?? ""}\n${this.web?.logs() ?? ""}`;
  }

  /** Closes everything that was started; safe after a partial start or a failure. */
  async close() {
    const results = await Promise.allSettled([
      this.browser?.close(),
      this.web?.stop(),
      this.backend?.dispose(),
    ]);
    const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    if (failures.length) throw new AggregateError(failures, "cleanup failed");
  }
}

/** The flags of a backend whose every board is open to everyone (clients that do not sign in). */
export const OPEN_BOARDS = ["--board-access", "open"];

/** The `Cookie` header carrying `page`'s session with the backend at `backendUrl` ("" if none). */
export async function sessionCookie(page, backendUrl) {
  const cookies = await page.context().cookies(backendUrl);
  return cookies
    .filter((c) => c.name === "lb_session")
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

/**
 * Signs `guest`'s browser context in as `name` (`POST /session`) unless it is already, and
 * joins `board` — owned by `owner`'s context — through a new share link with `role`, as the
 * owner's Share panel and the link's address would. The page later signing in as `name`
 * keeps the session's clientId (a rename), so the membership holds.
 */
export async function shareBoard(backendUrl, owner, guest, name, board, role = "edit") {
  const post = async (page, path, data) => {
    const response = await page.context().request.post(`${backendUrl}${path}`, { data });
    if (!response.ok()) throw new Error(`POST ${path} answered ${response.status()}: ${await response.text()}`);
    return response.json();
  };
  if (!(await sessionCookie(guest, backendUrl))) await post(guest, "/session", { name, color: "#3b82f6" });
  const link = await post(owner, `/boards/${encodeURIComponent(board)}/links`, { role });
  await post(guest, `/boards/${encodeURIComponent(board)}/join`, { token: link.token });
}

/**
 * Starts a {@link Stack} in a `before` hook and closes it in an `after` hook (which
 * node:test runs even when `before` or a test failed). Call at the top of a test file.
 * `options` go to the {@link Stack} constructor (`backendArgs`, `backendEnv`).
 */
export function setupStack(options = {}) {
  const stack = new Stack(options);
  before(() => stack.start(), { timeout: TIMEOUTS.backendStart + TIMEOUTS.webStart + 30_000 });
  after(() => stack.close(), { timeout: 3 * TIMEOUTS.stop + 10_000 });
  return stack;
}

// ---------------------------------------------------------------------------------------
// Page helpers

/**
 * Waits until the element with `data-testid={testId}` has exactly the text `expected`.
 * On timeout, fails with what the element showed instead, and saves a screenshot.
 */
export async function waitForTestIdText(page, testId, expected, { timeout = TIMEOUTS.ui } = {}) {
  try {
    await page.waitForFunction(
      ([id, text]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === text,
      [testId, expected],
      { timeout, polling: 100 },
    );
  } catch (error) {
    const actual = await page
      .locator(`[data-testid="${testId}"]`)
      .first()
      .textContent({ timeout: 1_000 })
      .catch(() => "(element not found)");
    const shot = await screenshot(page, `${testId}-${expected}`);
    throw new Error(
      `expected [data-testid="${testId}"] to read ${JSON.stringify(expected)} within ${timeout} ms, ` +
        `it reads ${JSON.stringify(actual)} (screenshot: ${shot})\n${error.message}`,
    );
  }
}

/** Saves a full-page screenshot under e2e/.artifacts/ and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, "_")}-${Date.now()}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
    return file;
  } catch (error) {
    return `(failed: ${error.message})`;
  }
}

// ---------------------------------------------------------------------------------------
// Setting up boards

let createdNotes = 0;

/**
 * Creates `notes` (`{ board, text }` each, in the first column) over one WebSocket to the
 * backend at `backendUrl`, in order, and resolves once the server acknowledged every one;
 * rejects on the first refusal (with the server's error) or after `timeoutMs`. `cookie`
 * (see {@link sessionCookie}) makes them someone's: the boards' owner, or a member.
 */
export async function createNotes(backendUrl, notes, { timeoutMs = 60_000, cookie } = {}) {
  const headers = cookie ? { cookie } : {};
  const ws = new WebSocket(`${backendUrl.replace(/^http/, "ws")}/ws`, ["liveboard.v1"], { headers });
  try {
    await withTimeout(once(ws, "open"), TIMEOUTS.ui, "opening /ws");
    const acked = new Set();
    const allAcked = new Promise((resolve, reject) => {
      ws.on("message", (data) => {
        const message = JSON.parse(data.toString("utf8"));
        if (message.type === "error") reject(new Error(`note refused: ${JSON.stringify(message)}`));
        if (message.type === "ack") acked.add(message.id);
        if (acked.size === notes.length) resolve();
      });
    });
    for (const { board, text } of notes) {
      createdNotes += 1;
      const key = `e2e-${process.pid}-${createdNotes}`;
      const payload = { board, opId: `op-${key}`, noteId: `n-${key}`, text, color: "#fde68a", column: "To do", order: createdNotes, author: "Setup" };
      ws.send(JSON.stringify({ id: key, type: "note_create", payload }));
    }
    await withTimeout(allAcked, timeoutMs, `waiting for ${notes.length} acks`);
  } finally {
    ws.close();
  }
}

// ---------------------------------------------------------------------------------------
// Accessibility

/** axe-core's browser bundle, read once from node_modules: injected, never downloaded. */
let axeSource = null;

/**
 * Runs axe-core (the WCAG 2.x A/AA rules) on the page as it is now and returns the
 * violations whose impact is in `impacts`, each as `{ id, impact, help, nodes: [{ target, summary }] }`.
 */
export async function axeViolations(page, { impacts = ["serious", "critical"] } = {}) {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary ?? "" })),
    }));
  });
  return violations.filter((v) => impacts.includes(v.impact));
}

/** Violations from {@link axeViolations} as text a person can act on. */
export function describeViolations(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  at ${n.target}\n    ${n.summary.replace(/\n/g, "\n    ")}`).join("\n")}`)
    .join("\n");
}

/** Debian's Chromium through playwright-core, headless unless LIVEBOARD_E2E_HEADED=1. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(`Chromium not found at ${CHROMIUM_BIN}: apt-get install chromium, or set LIVEBOARD_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: CHROMIUM_ARGS,
    headless: process.env.LIVEBOARD_E2E_HEADED !== "1",
    timeout: TIMEOUTS.backendStart,
  });
}

/** A page in a fresh browser context (a person of their own); uncaught errors go to `pageErrors`. */
export async function openPage(browser, pageErrors) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUTS.ui);
  page.on("pageerror", (error) => pageErrors.push(error));
  return page;
}
