// Phase 7's topology for end-to-end tests: a real redis-server, a real nats-server, N
// `liveboard` instances sharing them (named a, b, …), HAProxy in front of them rendered
// from deploy/haproxy.cfg.in by deploy/render-haproxy.sh (the configuration `make scale`
// runs), the built web app pointed at the balancer, and Chromium — all on free ports of
// 127.0.0.1.
//
//   import { setupScaleStack } from "./scale.mjs";
//   const stack = setupScaleStack({ instances: 2 });   // before/after hooks
//   stack.balancerUrl, stack.instances[0].url (instance a, directly), stack.web.url
//
// The same rules as harness.mjs: only processes started here are signalled, each by its own
// process group, in an `after` hook and on exit; every wait is bounded. A missing program
// (haproxy, redis-server, nats-server) fails the run with what to install: CI installs them
// (scripts/install-deps.sh), so a machine without them must not pass by skipping.

import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { promisify } from "node:util";

import { Backend, ManagedProcess, TIMEOUTS, WEB_DIR, WebApp, freePort, launchChromium, openPage, withTimeout } from "./harness.mjs";

/** The repository's root (web/ is in it). */
const REPO_DIR = path.resolve(WEB_DIR, "..");

/** The programs the topology needs besides the backend, and where Debian puts them. */
const PROGRAMS = ["redis-server", "nats-server", "haproxy"];

/** Where `name` is on PATH (or in the sbin directories a non-root PATH may lack), or null. */
export function findProgram(name) {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Polls `probe` every 100 ms until it resolves true, for at most `timeoutMs`; fails with
 * `what` and the process's output if the process exits first or time runs out.
 */
async function waitUntil(what, proc, probe, timeoutMs = TIMEOUTS.backendStart) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${what}: ${proc.describeExit()}\n${proc.logs()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${proc.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether 127.0.0.1:`port` answers the bytes `send` with a reply starting with `expect`. */
function answers(port, send, expect) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => send && socket.write(send));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.length >= expect.length) done(reply.startsWith(expect));
    });
  });
}

/** Starts `command args` as a managed process whose output is kept for error messages. */
function startProcess(name, command, args) {
  const proc = new ManagedProcess(name, command, args, { env: process.env });
  proc.child.stdout.on("data", (chunk) => proc.stdoutTail.push(chunk));
  return proc;
}

/** redis-server, nats-server, the instances, HAProxy, the web app and Chromium. */
export class ScaleStack {
  /** @type {Backend[]} the instances, a first */
  instances = [];
  /** The balancer's base URL, what the web app is given. */
  balancerUrl = null;
  /** @type {WebApp | null} */
  web = null;
  /** @type {import("playwright-core").Browser | null} */
  browser = null;
  /** Uncaught errors thrown in any page. */
  pageErrors = [];
  /** @type {ManagedProcess[]} redis, nats, haproxy */
  #services = [];
  #dir = null;
  #count;

  constructor({ instances = 2 } = {}) {
    this.#count = instances;
  }

  /** The instance names, in order: a, b, … */
  get names() {
    return Array.from({ length: this.#count }, (_, i) => String.fromCharCode(97 + i));
  }

  async start() {
    const programs = Object.fromEntries(PROGRAMS.map((name) => [name, findProgram(name)]));
    const missing = PROGRAMS.filter((name) => programs[name] === null);
    if (missing.length > 0) {
      throw new Error(
        `phase 7's topology needs ${missing.join(", ")}, not found on this machine. ` +
          "Install them (Debian: sudo ./scripts/install-deps.sh, which CI runs) — this test does not skip without them.",
      );
    }
    this.#dir = mkdtempSync(path.join(os.tmpdir(), "liveboard-scale-e2e-"));

    const redisPort = await freePort();
    const redis = startProcess("redis-server", programs["redis-server"], [
      "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.#dir,
    ]);
    this.#services.push(redis);
    await waitUntil(`redis-server on port ${redisPort}`, redis, () => answers(redisPort, "PING\r\n", "+PONG"));

    const natsPort = await freePort();
    const nats = startProcess("nats-server", programs["nats-server"], ["-a", "127.0.0.1", "-p", String(natsPort)]);
    this.#services.push(nats);
    await waitUntil(`nats-server on port ${natsPort}`, nats, () => answers(natsPort, "", "INFO"));

    // The instances must know the web app's origin (CORS) before it knows the balancer's URL.
    const webPort = await freePort();
    const sessionKey = path.join(this.#dir, "session.key");
    for (const name of this.names) {
      // One after the other, as `make scale` does: the first creates the shared session key.
      const instance = new Backend({
        allowedOrigins: `http://127.0.0.1:${webPort}`,
        args: [
          "--instance-id", name,
          "--redis-url", `redis://127.0.0.1:${redisPort}`,
          "--nats-url", `nats://127.0.0.1:${natsPort}`,
          "--board-access", "open",
          "--session-secret-file", sessionKey,
          "--max-connections-per-ip", "0",
          "--board-rate-per-ip", "0",
        ],
      });
      this.instances.push(instance);
      await instance.start();
    }

    const balancerPort = await freePort();
    const servers = this.instances.map((instance, i) => `${this.names[i]}=127.0.0.1:${instance.port}`);
    const { stdout: config } = await promisify(execFile)(path.join(REPO_DIR, "deploy", "render-haproxy.sh"), [
      "--origins", `http://127.0.0.1:${webPort}`, `127.0.0.1:${balancerPort}`, ...servers,
    ]);
    const configFile = path.join(this.#dir, "haproxy.cfg");
    writeFileSync(configFile, config);
    const haproxy = startProcess("haproxy", programs.haproxy, ["-db", "-f", configFile]);
    this.#services.push(haproxy);
    this.balancerUrl = `http://127.0.0.1:${balancerPort}`;
    // Up once every instance is in rotation: each pin answers.
    await waitUntil(`HAProxy on port ${balancerPort}`, haproxy, async () => {
      for (const name of this.names) {
        const response = await fetch(`${this.balancerUrl}/i/${name}/health`, { signal: AbortSignal.timeout(1_000) });
        if (!response.ok) return false;
      }
      return true;
    });

    this.web = new WebApp({ port: webPort, backendUrl: this.balancerUrl });
    await this.web.start();

    this.browser = await launchChromium();
  }

  /** A page in a fresh browser context (a person of their own); uncaught errors land in `pageErrors`. */
  async newPage() {
    if (!this.browser) throw new Error("the stack is not started");
    return openPage(this.browser, this.pageErrors);
  }

  /** Every process's output, for a failing test's message. */
  logs() {
    return [...this.instances.map((instance, i) => `=== instance ${this.names[i]}\n${instance.logs()}`), ...this.#services.map((p) => p.logs()), this.web?.logs() ?? ""].join("\n");
  }

  /** Stops everything started here (in reverse order) and removes the scratch directory. */
  async close() {
    const results = await Promise.allSettled([this.browser?.close(), this.web?.stop()]);
    results.push(...(await Promise.allSettled(this.instances.map((instance) => instance.dispose()))));
    for (const service of [...this.#services].reverse()) {
      results.push(...(await Promise.allSettled([withTimeout(service.stop(), 2 * TIMEOUTS.stop, `stopping ${service.name}`)])));
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    if (failures.length) throw new AggregateError(failures, "cleanup failed");
  }
}

/** Starts a {@link ScaleStack} in a `before` hook and closes it in an `after` hook. */
export function setupScaleStack(options = {}) {
  const stack = new ScaleStack(options);
  before(() => stack.start(), { timeout: 4 * TIMEOUTS.backendStart + TIMEOUTS.webStart + 30_000 });
  after(() => stack.close(), { timeout: 6 * TIMEOUTS.stop + 10_000 });
  return stack;
}
