import { describe, expect, it } from "vitest";

import type { FetchLike } from "./health";
import {
  discoverPins,
  otherPin,
  parseInstanceAnswer,
  pinCandidates,
  pinFromQuery,
  pinnedBaseUrl,
  pinnedPageHref,
  probeInstance,
  topologyOf,
} from "./scale";

const BALANCER = "http://localhost:8000";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A balancer stub: instances by name (`null`: known but down), recording the URLs asked for. */
function balancer(instances: Record<string, string | null>): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const fn = async (input: string) => {
    urls.push(input);
    const match = /\/i\/([^/]+)\/scale\/instance$/.exec(input);
    if (!match) return json({ instance: "a", store: "redis", bus: "nats" });
    const name = decodeURIComponent(match[1]!);
    if (!(name in instances)) return json({ error: { code: "unknown_instance", message: "no instance of that name behind this balancer" } }, 404);
    const id = instances[name];
    if (id === null) return json({ error: { code: "no_instance", message: "no Liveboard instance is up" } }, 503);
    return json({ instance: id, store: "redis", bus: "nats" });
  };
  return Object.assign(fn, { urls });
}

describe("pins", () => {
  it("reads ?via=: a name pins, absent, any or a bad name is the balancer", () => {
    expect(pinFromQuery("b")).toBe("b");
    expect(pinFromQuery(null)).toBeNull();
    expect(pinFromQuery("any")).toBeNull();
    expect(pinFromQuery("../x")).toBeNull();
    expect(pinFromQuery("")).toBeNull();
  });

  it("builds a pinned base URL every path can be appended to, as the balancer's /i/<name>/ rule expects", () => {
    expect(pinnedBaseUrl(BALANCER, "a")).toBe("http://localhost:8000/i/a");
    expect(`${pinnedBaseUrl(BALANCER, "b")}/ws`).toBe("http://localhost:8000/i/b/ws");
    expect(pinnedBaseUrl(BALANCER, null)).toBe(BALANCER);
  });

  it("names the candidates as make scale does: a, b, c, … at most z", () => {
    expect(pinCandidates(3)).toEqual(["a", "b", "c"]);
    expect(pinCandidates(100)).toHaveLength(26);
    expect(pinCandidates().at(-1)).toBe("z");
  });

  it("sends a second window to another instance than this one", () => {
    expect(otherPin(["a", "b", "c"], "a")).toBe("b");
    expect(otherPin(["a", "b", "c"], "c")).toBe("a");
    expect(otherPin(["a", "b"], null)).toBe("a");
    expect(otherPin(["a"], "a")).toBeNull();
    expect(otherPin([], null)).toBeNull();
    expect(otherPin(["a", "b"], "x")).toBe("a");
  });

  it("links to this page on the same board, pinned or through the balancer", () => {
    expect(pinnedPageHref("/phases/7", "demo", "b")).toBe("/phases/7?board=demo&via=b");
    expect(pinnedPageHref("/phases/7", "team-1", null)).toBe("/phases/7?board=team-1&via=any");
  });
});

describe("parseInstanceAnswer and topologyOf", () => {
  it("reads the answer and tells a single process from a scaled-out one", () => {
    const single = parseInstanceAnswer({ instance: "host-42", store: "embedded", bus: "none" });
    expect(single).toEqual({ ok: true, value: { instance: "host-42", store: "embedded", bus: "none" } });
    expect(single.ok && topologyOf(single.value)).toBe("single");
    expect(topologyOf({ instance: "a", store: "redis", bus: "nats" })).toBe("scaled");
    expect(topologyOf({ instance: "a", store: "redis", bus: "none" })).toBe("store-only");
  });

  it.each([[null], [[]], [{ instance: "a", store: "redis" }], [{ instance: 1, store: "redis", bus: "nats" }]])("refuses %j", (body) => {
    expect(parseInstanceAnswer(body).ok).toBe(false);
  });

  it("reports the backend's error body", () => {
    expect(parseInstanceAnswer({ error: { code: "not_found", message: "no route" } })).toEqual({ ok: false, error: "not_found: no route" });
  });
});

describe("probeInstance", () => {
  it("asks <base>/scale/instance, uncached", async () => {
    let seen: RequestInit | undefined;
    const fetch: FetchLike = async (_url, init) => {
      seen = init;
      return json({ instance: "b", store: "redis", bus: "nats" });
    };
    expect(await probeInstance(`${BALANCER}/i/b`, fetch)).toEqual({ kind: "answered", answer: { instance: "b", store: "redis", bus: "nats" } });
    expect(seen?.cache).toBe("no-store");
  });

  it("calls a 404 unknown, a 503 or an unreachable server failed", async () => {
    const stub = balancer({ a: null });
    expect(await probeInstance(`${BALANCER}/i/zz`, stub)).toEqual({
      kind: "unknown",
      message: "HTTP 404: unknown_instance: no instance of that name behind this balancer",
    });
    expect(await probeInstance(`${BALANCER}/i/a`, stub)).toMatchObject({ kind: "failed", message: /^HTTP 503: no_instance/ });
    const refused: FetchLike = async () => {
      throw new TypeError("Failed to fetch");
    };
    expect(await probeInstance(BALANCER, refused)).toEqual({ kind: "failed", message: `cannot reach ${BALANCER}/scale/instance` });
  });

  it("rethrows when the caller aborted", async () => {
    const abort = new AbortController();
    abort.abort();
    const fetch: FetchLike = async (_url, init) => {
      throw init?.signal?.reason;
    };
    await expect(probeInstance(BALANCER, fetch, abort.signal)).rejects.toBeDefined();
  });
});

describe("discoverPins", () => {
  it("asks a, b, c, … and stops at the first name the balancer does not know", async () => {
    const stub = balancer({ a: "a", b: "b", c: "c" });
    const pins = await discoverPins(BALANCER, stub);
    expect(pins.map((p) => p.pin)).toEqual(["a", "b", "c"]);
    expect(pins.every((p) => p.probe.kind === "answered")).toBe(true);
    expect(stub.urls).toEqual(["a", "b", "c", "d"].map((n) => `${BALANCER}/i/${n}/scale/instance`));
  });

  it("lists a known instance that is down between live ones, with why", async () => {
    const pins = await discoverPins(BALANCER, balancer({ a: "a", b: null, c: "c" }));
    expect(pins).toEqual([
      { pin: "a", probe: { kind: "answered", answer: { instance: "a", store: "redis", bus: "nats" } } },
      { pin: "b", probe: { kind: "failed", message: "HTTP 503: no_instance: no Liveboard instance is up" } },
      { pin: "c", probe: { kind: "answered", answer: { instance: "c", store: "redis", bus: "nats" } } },
    ]);
  });

  it("stops after two failures in a row, and lists none of them (the balancer's 404 is unreadable cross-origin)", async () => {
    const urls: string[] = [];
    const corsBlocked: FetchLike = async (input) => {
      urls.push(input);
      const name = /\/i\/([^/]+)\//.exec(input)![1]!;
      if (name === "a" || name === "b") return json({ instance: name, store: "redis", bus: "nats" });
      throw new TypeError("Failed to fetch"); // what a page sees for HAProxy's own 404
    };
    const pins = await discoverPins(BALANCER, corsBlocked);
    expect(pins.map((p) => p.pin)).toEqual(["a", "b"]);
    expect(urls).toHaveLength(4);
  });

  it("finds none without a balancer in front (a single backend answers 404 for /i/…)", async () => {
    const single: FetchLike = async () => json({ error: { code: "not_found", message: "no route for GET /i/a/scale/instance" } }, 404);
    expect(await discoverPins(BALANCER, single)).toEqual([]);
  });

  it("asks at most the candidates given", async () => {
    const stub = balancer(Object.fromEntries(pinCandidates().map((n) => [n, n])));
    expect(await discoverPins(BALANCER, stub, undefined, ["a", "b"])).toHaveLength(2);
    expect(stub.urls).toHaveLength(2);
  });
});
