import { describe, expect, it } from "vitest";

import { DEFAULT_BACKEND_URL, resolveBackendUrl } from "./backendUrl";

describe("resolveBackendUrl", () => {
  it("defaults to the backend's default bind address", () => {
    expect(resolveBackendUrl({ runtime: undefined, buildTime: undefined })).toBe(DEFAULT_BACKEND_URL);
    expect(DEFAULT_BACKEND_URL).toBe("http://127.0.0.1:8080");
  });

  it("prefers the run-time LIVEBOARD_BACKEND_URL over the build-time value", () => {
    expect(resolveBackendUrl({ runtime: "http://127.0.0.1:4000", buildTime: "http://example.test" })).toBe(
      "http://127.0.0.1:4000",
    );
  });

  it("falls back to the build-time NEXT_PUBLIC_BACKEND_URL", () => {
    expect(resolveBackendUrl({ runtime: undefined, buildTime: "https://api.example.test" })).toBe(
      "https://api.example.test",
    );
  });

  it("treats blank values as unset", () => {
    expect(resolveBackendUrl({ runtime: "  ", buildTime: "" })).toBe(DEFAULT_BACKEND_URL);
  });

  it("drops trailing slashes so paths can be appended", () => {
    expect(resolveBackendUrl({ runtime: "http://127.0.0.1:4000//", buildTime: undefined })).toBe(
      "http://127.0.0.1:4000",
    );
  });

  it("names the variable when the value is not an http URL", () => {
    expect(() => resolveBackendUrl({ runtime: "127.0.0.1:4000", buildTime: undefined })).toThrow(
      /LIVEBOARD_BACKEND_URL="127.0.0.1:4000"/,
    );
    expect(() => resolveBackendUrl({ runtime: undefined, buildTime: "ws://127.0.0.1:4000" })).toThrow(
      /NEXT_PUBLIC_BACKEND_URL.*http:\/\/ or https:\/\//,
    );
  });
});
