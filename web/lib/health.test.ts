import { describe, expect, it } from "vitest";

import {
  checkHealth,
  formatUptime,
  parseApiError,
  parseHealthReport,
  prettyJson,
  type DownReason,
  type FetchLike,
  type HealthCheck,
} from "./health";

const VALID = {
  status: "ok",
  version: "0.1.0",
  uptime_secs: 12.5,
  phases: [{ number: 1, slug: "foundations", title: "Foundations" }],
};

describe("parseHealthReport", () => {
  it("accepts the documented body", () => {
    expect(parseHealthReport(VALID)).toEqual({ ok: true, value: VALID });
  });

  it("accepts an empty phases list and extra fields", () => {
    const result = parseHealthReport({ ...VALID, phases: [], build: "abc" });
    expect(result).toEqual({ ok: true, value: { ...VALID, phases: [] } });
  });

  it("keeps a status other than ok (the caller decides what it means)", () => {
    const result = parseHealthReport({ ...VALID, status: "degraded" });
    expect(result.ok && result.value.status).toBe("degraded");
  });

  it.each([
    ["status", /"status" must be a string, got nothing/],
    ["version", /"version" must be a string/],
    ["uptime_secs", /"uptime_secs" must be a non-negative number/],
    ["phases", /"phases" must be an array/],
  ])("rejects a body without %s", (field, message) => {
    const body: Record<string, unknown> = { ...VALID };
    delete body[field];
    const result = parseHealthReport(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it.each([
    [{ ...VALID, status: 1 }, /"status" must be a string, got a number/],
    [{ ...VALID, version: null }, /"version" must be a string, got null/],
    [{ ...VALID, uptime_secs: "12.5" }, /"uptime_secs" must be a non-negative number, got a string/],
    [{ ...VALID, uptime_secs: -1 }, /"uptime_secs" must be a non-negative number/],
    [{ ...VALID, phases: {} }, /"phases" must be an array, got an object/],
    [{ ...VALID, phases: [1] }, /"phases\[0\]": expected an object, got a number/],
    [{ ...VALID, phases: [{ number: 1.5, slug: "x", title: "X" }] }, /"phases\[0\]": "number" must be an integer/],
    [{ ...VALID, phases: [{ number: 1, slug: 2, title: "X" }] }, /"phases\[0\]": "slug" must be a string/],
    [{ ...VALID, phases: [{ number: 1, slug: "x" }] }, /"phases\[0\]": "title" must be a string/],
  ])("rejects wrong types: %j", (body, message) => {
    const result = parseHealthReport(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it.each([[null], [[]], ["ok"], [42]])("rejects a non-object body %j", (body) => {
    const result = parseHealthReport(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/expected a JSON object/);
  });

  const CHECKS = {
    store: { up: true, target: "redis://127.0.0.1:6379", disconnects: 0 },
    bus: { up: false, target: "nats://127.0.0.1:4222", lastError: "connection refused", disconnects: 2 },
  };

  it("reads phase 7's checks: each link up or down, with its last error", () => {
    const result = parseHealthReport({ ...VALID, status: "degraded", checks: CHECKS });
    expect(result).toEqual({ ok: true, value: { ...VALID, status: "degraded", checks: CHECKS } });
  });

  it("has no checks when the server reports none (a single instance)", () => {
    const result = parseHealthReport(VALID);
    expect(result.ok && "checks" in result.value).toBe(false);
  });

  it("drops a check's fields the contract does not name", () => {
    const result = parseHealthReport({ ...VALID, checks: { store: { ...CHECKS.store, extra: 1 } } });
    expect(result.ok && result.value.checks).toEqual({ store: CHECKS.store });
  });

  it.each([
    [{ checks: [] }, /"checks" must be an object, got an array/],
    [{ checks: { store: 1 } }, /"checks.store": expected an object, got a number/],
    [{ checks: { store: { ...CHECKS.store, up: "yes" } } }, /"checks.store": "up" must be a boolean, got a string/],
    [{ checks: { bus: { ...CHECKS.bus, target: null } } }, /"checks.bus": "target" must be a string, got null/],
    [{ checks: { bus: { ...CHECKS.bus, lastError: 5 } } }, /"checks.bus": "lastError" must be a string, got a number/],
    [{ checks: { bus: { ...CHECKS.bus, disconnects: -1 } } }, /"checks.bus": "disconnects" must be a non-negative integer/],
  ])("rejects malformed checks: %j", (extra, message) => {
    const result = parseHealthReport({ ...VALID, ...extra });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it("reports the backend's error body instead of a missing field", () => {
    const result = parseHealthReport({ error: { code: "internal", message: "boom" } });
    expect(result).toEqual({ ok: false, error: "internal: boom" });
  });
});

describe("parseApiError", () => {
  it("reads the documented error body", () => {
    expect(parseApiError({ error: { code: "not_found", message: "no route for GET /nope" } })).toEqual({
      code: "not_found",
      message: "no route for GET /nope",
    });
  });

  it.each([[null], [{}], [{ error: "not_found" }], [{ error: { code: "x" } }], [{ error: { code: 1, message: "m" } }]])(
    "returns null for %j",
    (body) => {
      expect(parseApiError(body)).toBeNull();
    },
  );
});

/** A `fetch` stub that answers every call with `respond()`, recording the URLs asked for. */
function stubFetch(respond: (init?: RequestInit) => Promise<Response>): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const fn = (input: string, init?: RequestInit) => {
    urls.push(input);
    return respond(init);
  };
  return Object.assign(fn, { urls });
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const BASE = "http://127.0.0.1:8080";
const now = () => 1_000;

function expectDown(check: HealthCheck, reason: DownReason, message: string | RegExp): void {
  expect(check.state).toBe("down");
  if (check.state === "down") {
    expect(check.reason).toBe(reason);
    expect(check.message).toMatch(message);
  }
}

describe("checkHealth", () => {
  it("is healthy for a 200 with status ok, and keeps the raw body", async () => {
    const fetch = stubFetch(async () => json(VALID));
    const check = await checkHealth({ baseUrl: BASE, fetch, now });
    expect(fetch.urls).toEqual([`${BASE}/health`]);
    expect(check).toEqual({ state: "healthy", report: VALID, raw: JSON.stringify(VALID), checkedAt: 1_000 });
  });

  it("asks the browser not to use a cached answer", async () => {
    let seen: RequestInit | undefined;
    const fetch = stubFetch(async (init) => {
      seen = init;
      return json(VALID);
    });
    await checkHealth({ baseUrl: BASE, fetch, now });
    expect(seen?.cache).toBe("no-store");
  });

  it("is down with 'cannot reach' when the request fails", async () => {
    const fetch = stubFetch(async () => {
      throw new TypeError("Failed to fetch");
    });
    const check = await checkHealth({ baseUrl: BASE, fetch, now });
    expect(check).toEqual({
      state: "down",
      reason: "unreachable",
      message: `cannot reach ${BASE}`,
      raw: null,
      checkedAt: 1_000,
    });
  });

  it("is down with the backend's error for a 5xx JSON error", async () => {
    const body = { error: { code: "internal", message: "database on fire" } };
    const check = await checkHealth({ baseUrl: BASE, fetch: stubFetch(async () => json(body, 503)), now });
    expectDown(check, "http", "HTTP 503: internal: database on fire");
    expect(check.raw).toBe(JSON.stringify(body));
  });

  it("is down for an HTTP error without an error object", async () => {
    const check = await checkHealth({ baseUrl: BASE, fetch: stubFetch(async () => json({}, 404)), now });
    expectDown(check, "http", "HTTP 404: no error object in the body");
  });

  it("is down when the body is not JSON", async () => {
    const fetch = stubFetch(async () => new Response("<html>proxy error</html>", { status: 502 }));
    const check = await checkHealth({ baseUrl: BASE, fetch, now });
    expectDown(check, "http", "HTTP 502: the body is not JSON");
    expect(check.raw).toBe("<html>proxy error</html>");
  });

  it("calls a 200 that is not JSON a contract break, not an HTTP error", async () => {
    const fetch = stubFetch(async () => new Response("OK", { status: 200 }));
    const check = await checkHealth({ baseUrl: BASE, fetch, now });
    expectDown(check, "contract", "HTTP 200: the body is not JSON");
  });

  it("is down when a 200 body breaks the contract", async () => {
    const check = await checkHealth({ baseUrl: BASE, fetch: stubFetch(async () => json({ status: "ok" })), now });
    expectDown(check, "contract", /^unexpected \/health body: "version" must be a string/);
  });

  it("is down when the backend reports a status other than ok", async () => {
    const fetch = stubFetch(async () => json({ ...VALID, status: "draining" }));
    const check = await checkHealth({ baseUrl: BASE, fetch, now });
    expectDown(check, "status", 'backend reports status "draining"');
  });

  it("keeps the report of a degraded backend, so a page can say which link is down", async () => {
    const bus = { up: false, target: "nats://127.0.0.1:4222", lastError: "connection refused", disconnects: 1 };
    const body = { ...VALID, status: "degraded", checks: { bus } };
    const check = await checkHealth({ baseUrl: BASE, fetch: stubFetch(async () => json(body)), now });
    expectDown(check, "status", 'backend reports status "degraded"');
    expect(check.state === "down" && check.report?.checks).toEqual({ bus });
  });

  it("has no report when the backend could not be read", async () => {
    const check = await checkHealth({ baseUrl: BASE, fetch: stubFetch(async () => json({}, 503)), now });
    expect(check.state === "down" && "report" in check).toBe(false);
  });

  it("is down after timeoutMs when the backend never answers", async () => {
    const hang = stubFetch(
      (init) =>
        new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    );
    const check = await checkHealth({ baseUrl: BASE, fetch: hang, timeoutMs: 20, now });
    expectDown(check, "timeout", `no answer from ${BASE} within 20 ms`);
  });

  it("rethrows when the caller aborts, so a stale result is never recorded", async () => {
    const controller = new AbortController();
    const hang = stubFetch(
      (init) =>
        new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    );
    const pending = checkHealth({ baseUrl: BASE, fetch: hang, signal: controller.signal, timeoutMs: 10_000, now });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });
});

describe("formatUptime", () => {
  it.each([
    [0, "0.0 s"],
    [12.5, "12.5 s"],
    [59.94, "59.9 s"],
    [60, "1 min"],
    [3_725, "1 h 2 min 5 s"],
    [90_061, "1 d 1 h 1 min 1 s"],
    [-1, "unknown"],
    [Number.NaN, "unknown"],
  ])("%d s reads %s", (seconds, text) => {
    expect(formatUptime(seconds)).toBe(text);
  });
});

describe("prettyJson", () => {
  it("indents JSON and leaves other text alone", () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson("not json")).toBe("not json");
  });
});
