// @vitest-environment jsdom
import { renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { RuntimeConfigProvider, useBookUrl, useRuntimeConfig } from "./useRuntimeConfig";

function provider({ children }: { readonly children: ReactNode }) {
  return <RuntimeConfigProvider>{children}</RuntimeConfigProvider>;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("RuntimeConfigProvider", () => {
  it("asks GET /runtime-config once and shares the answer", async () => {
    const fetch = vi.fn(async () => Response.json({ backendUrl: "http://127.0.0.1:9000", bookUrl: "http://127.0.0.1:3901/book" }));
    vi.stubGlobal("fetch", fetch);
    const hook = renderHook(() => ({ state: useRuntimeConfig(), book: useBookUrl() }), { wrapper: provider });
    expect(hook.result.current).toEqual({ state: { status: "loading" }, book: null });
    await waitFor(() => expect(hook.result.current.state.status).toBe("ready"));
    expect(hook.result.current.book).toBe("http://127.0.0.1:3901/book");
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith("/runtime-config", expect.objectContaining({ cache: "no-store" }));
  });

  it("passes on the server's reason when the configuration is wrong", async () => {
    vi.stubGlobal("fetch", async () => Response.json({ error: 'LIVEBOARD_BACKEND_URL="oops" is not a URL' }, { status: 500 }));
    const hook = renderHook(() => useRuntimeConfig(), { wrapper: provider });
    await waitFor(() => expect(hook.result.current).toEqual({ status: "failed", problem: 'LIVEBOARD_BACKEND_URL="oops" is not a URL' }));
  });

  it("says so when the web server cannot be reached", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    const hook = renderHook(() => useRuntimeConfig(), { wrapper: provider });
    await waitFor(() => expect(hook.result.current).toMatchObject({ status: "failed", problem: expect.stringMatching(/Failed to fetch/) }));
  });

  it("is needed above its hooks", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => renderHook(() => useRuntimeConfig())).toThrow(/RuntimeConfigProvider/);
  });
});
