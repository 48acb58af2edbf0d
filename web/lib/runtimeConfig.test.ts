import { describe, expect, it } from "vitest";

import { DEFAULT_BACKEND_URL, DEFAULT_BOOK_URL, parseRuntimeConfig, resolveBaseUrl, resolveRuntimeConfig } from "./runtimeConfig";

const unset = { runtime: undefined, buildTime: undefined };

describe("resolveBaseUrl", () => {
  it("defaults to the fallback", () => {
    expect(resolveBaseUrl("BACKEND_URL", unset, DEFAULT_BACKEND_URL)).toBe(DEFAULT_BACKEND_URL);
    expect(DEFAULT_BACKEND_URL).toBe("http://127.0.0.1:8080");
  });

  it("prefers the run-time LIVEBOARD_ variable over the build-time value", () => {
    expect(resolveBaseUrl("BACKEND_URL", { runtime: "http://127.0.0.1:4000", buildTime: "http://example.test" }, DEFAULT_BACKEND_URL)).toBe(
      "http://127.0.0.1:4000",
    );
  });

  it("falls back to the build-time NEXT_PUBLIC_ variable", () => {
    expect(resolveBaseUrl("BACKEND_URL", { runtime: undefined, buildTime: "https://api.example.test" }, DEFAULT_BACKEND_URL)).toBe(
      "https://api.example.test",
    );
  });

  it("treats blank values as unset", () => {
    expect(resolveBaseUrl("BACKEND_URL", { runtime: "  ", buildTime: "" }, DEFAULT_BACKEND_URL)).toBe(DEFAULT_BACKEND_URL);
  });

  it("drops trailing slashes so paths can be appended", () => {
    expect(resolveBaseUrl("BACKEND_URL", { runtime: "http://127.0.0.1:4000//", buildTime: undefined }, DEFAULT_BACKEND_URL)).toBe(
      "http://127.0.0.1:4000",
    );
  });

  it("names the variable when the value is not an http URL", () => {
    expect(() => resolveBaseUrl("BACKEND_URL", { runtime: "127.0.0.1:4000", buildTime: undefined }, DEFAULT_BACKEND_URL)).toThrow(
      /LIVEBOARD_BACKEND_URL="127.0.0.1:4000"/,
    );
    expect(() => resolveBaseUrl("BOOK_URL", { runtime: undefined, buildTime: "ws://127.0.0.1:4000" }, DEFAULT_BOOK_URL)).toThrow(
      /NEXT_PUBLIC_BOOK_URL.*http:\/\/ or https:\/\//,
    );
  });
});

describe("resolveRuntimeConfig", () => {
  it("resolves the backend and the book independently", () => {
    expect(resolveRuntimeConfig({ backend: unset, book: unset })).toEqual({ backendUrl: DEFAULT_BACKEND_URL, bookUrl: "http://localhost:3001" });
    expect(resolveRuntimeConfig({ backend: unset, book: { runtime: "https://book.example.test/liveboard/", buildTime: undefined } })).toEqual({
      backendUrl: DEFAULT_BACKEND_URL,
      bookUrl: "https://book.example.test/liveboard",
    });
  });
});

describe("parseRuntimeConfig", () => {
  it("accepts the route's answer and passes on its error message", () => {
    expect(parseRuntimeConfig({ backendUrl: "http://a", bookUrl: "http://b" })).toEqual({ ok: true, config: { backendUrl: "http://a", bookUrl: "http://b" } });
    expect(parseRuntimeConfig({ error: "LIVEBOARD_BACKEND_URL=… is not a URL" })).toEqual({ ok: false, problem: "LIVEBOARD_BACKEND_URL=… is not a URL" });
  });

  it("refuses anything else", () => {
    for (const json of [null, "http://a", { backendUrl: "http://a" }, { backendUrl: 1, bookUrl: "http://b" }]) {
      expect(parseRuntimeConfig(json)).toMatchObject({ ok: false });
    }
  });
});
