// @vitest-environment jsdom
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { useHealth } from "./useHealth";
import { RuntimeConfigProvider } from "./useRuntimeConfig";

const BACKEND = "http://127.0.0.1:8080";
const HEALTHY = { status: "ok", version: "0.1.0", uptime_secs: 3, phases: [] };

function withBackend({ children }: { readonly children: ReactNode }) {
  return <RuntimeConfigProvider config={{ backendUrl: BACKEND, bookUrl: "http://localhost:3001" }}>{children}</RuntimeConfigProvider>;
}

/** A `fetch` whose answers the test gives, one call at a time. */
function fakeFetch() {
  const calls: { readonly url: string; readonly signal: AbortSignal | null; readonly answer: (response: Response) => void }[] = [];
  const fetch = vi.fn(
    (input: string, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        const signal = init?.signal ?? null;
        signal?.addEventListener("abort", () => reject(signal.reason));
        calls.push({ url: input, signal, answer: resolve });
      }),
  );
  vi.stubGlobal("fetch", fetch);
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("useHealth", () => {
  it("polls /health at once, then again after each answer, and counts the checks", async () => {
    const calls = fakeFetch();
    const hook = renderHook(() => useHealth({ intervalMs: 5, timeoutMs: 1_000 }), { wrapper: withBackend });
    expect(hook.result.current).toMatchObject({ baseUrl: BACKEND, check: null, checks: 0 });
    expect(calls.map((c) => c.url)).toEqual([`${BACKEND}/health`]);

    await act(async () => calls[0]!.answer(Response.json(HEALTHY)));
    await waitFor(() => expect(hook.result.current.checks).toBe(1));
    expect(hook.result.current.check).toMatchObject({ state: "healthy", report: HEALTHY });

    // Only after the answer is the next request sent: never two in flight.
    await waitFor(() => expect(calls).toHaveLength(2));
    await act(async () => calls[1]!.answer(Response.json({ error: { code: "unavailable", message: "busy" } }, { status: 503 })));
    await waitFor(() => expect(hook.result.current.checks).toBe(2));
    expect(hook.result.current.check).toMatchObject({ state: "down", reason: "http" });
    hook.unmount();
  });

  it("aborts the request in flight on unmount", () => {
    const calls = fakeFetch();
    const hook = renderHook(() => useHealth({ intervalMs: 5 }), { wrapper: withBackend });
    hook.unmount();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted).toBe(true);
  });

  it("stops the chain on unmount while it waits for the next poll", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const calls = fakeFetch();
      const hook = renderHook(() => useHealth({ intervalMs: 1_000 }), { wrapper: withBackend });
      await act(async () => calls[0]!.answer(Response.json(HEALTHY)));
      expect(hook.result.current.checks).toBe(1);
      hook.unmount();
      vi.advanceTimersByTime(5_000);
      expect(calls).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("asks nothing until the backend's address is known", async () => {
    const calls = fakeFetch();
    const hook = renderHook(() => useHealth(), {
      wrapper: ({ children }: { readonly children: ReactNode }) => <RuntimeConfigProvider>{children}</RuntimeConfigProvider>,
    });
    // The provider's own request for /runtime-config is the only one.
    expect(calls.map((c) => c.url)).toEqual(["/runtime-config"]);
    expect(hook.result.current.baseUrl).toBeNull();

    await act(async () => calls[0]!.answer(Response.json({ backendUrl: "http://127.0.0.1:9000", bookUrl: "http://localhost:3001" })));
    await waitFor(() => expect(calls.map((c) => c.url)).toEqual(["/runtime-config", "http://127.0.0.1:9000/health"]));
    expect(hook.result.current.baseUrl).toBe("http://127.0.0.1:9000");
    hook.unmount();
  });
});
