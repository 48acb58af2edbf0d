import { afterEach, describe, expect, it, vi } from "vitest";

import { accessView, ensureSession, linkAddress, parseAccess, parseLink, parseSession } from "./access";

describe("access", () => {
  it("reads a session and refuses one with a missing field", () => {
    expect(parseSession({ clientId: "u-1", name: "Ana", color: "#112233" })).toEqual({ clientId: "u-1", name: "Ana", color: "#112233" });
    expect(parseSession({ clientId: "u-1", name: "Ana" })).toBeNull();
    expect(parseSession("Ana")).toBeNull();
  });

  it("reads an access answer and shows a private board, a view-only one and an open server", () => {
    const base = { board: "b", mode: "private", owner: false, signedIn: true };
    const outsider = parseAccess({ ...base, role: null });
    expect(outsider && accessView(outsider)).toBe("private");
    const viewer = parseAccess({ ...base, role: "view" });
    expect(viewer && accessView(viewer)).toBe("view");
    const open = parseAccess({ ...base, mode: "open", role: null });
    expect(open && accessView(open)).toBe("edit");
    expect(parseAccess({ ...base, role: "admin" })).toBeNull();
    expect(parseAccess({ ...base, mode: "secret", role: null })).toBeNull();
  });

  it("reads a share link and makes its full address on this site", () => {
    const link = parseLink({ id: "l1", token: "t0", role: "view", url: "/phases/4?board=b&invite=t0" });
    expect(link).not.toBeNull();
    expect(linkAddress("http://127.0.0.1:3000", link!)).toBe("http://127.0.0.1:3000/phases/4?board=b&invite=t0");
    expect(parseLink({ id: "l1", token: "t0", role: "owner", url: "/" })).toBeNull();
  });
});

describe("ensureSession", () => {
  const ana = { clientId: "u-1", name: "Ana", color: "#112233" };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

  /** Stubs `fetch` with one answer per call; the calls as `METHOD path`. */
  function serve(...answers: Response[]): string[] {
    const calls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        calls.push(`${init?.method ?? "GET"} ${new URL(url).pathname} ${init?.credentials ?? "omit"}`);
        const next = answers.shift();
        if (!next) throw new Error("no more answers");
        return next;
      }),
    );
    return calls;
  }
  afterEach(() => vi.unstubAllGlobals());

  it("says 'none' when the server has no /session route (phase 2 or 3 on its own), and signs nobody in", async () => {
    const calls = serve(json(404, { error: { code: "not_found", message: "no route" } }));
    expect(await ensureSession("http://b", "Ana", "#112233")).toBe("none");
    expect(calls).toEqual(["GET /session include"]);
  });

  it("signs in when the server has sessions and we have none (401), sending the cookie both ways", async () => {
    const calls = serve(json(401, { error: { code: "no_session", message: "not signed in" } }), json(200, ana));
    expect(await ensureSession("http://b", "Ana", "#112233")).toEqual(ana);
    expect(calls).toEqual(["GET /session include", "POST /session include"]);
  });

  it("keeps a session that already says our name and color, and renames one that does not", async () => {
    let calls = serve(json(200, ana));
    expect(await ensureSession("http://b", "Ana", "#112233")).toEqual(ana);
    expect(calls).toEqual(["GET /session include"]);
    calls = serve(json(200, ana), json(200, { ...ana, name: "Ana B" }));
    expect(await ensureSession("http://b", "Ana B", "#112233")).toEqual({ ...ana, name: "Ana B" });
    expect(calls).toEqual(["GET /session include", "POST /session include"]);
  });

  it("reports any other failure in the server's words", async () => {
    serve(json(500, { error: { code: "internal", message: "the disk is full" } }));
    await expect(ensureSession("http://b", "Ana", "#112233")).rejects.toThrow("the disk is full");
  });
});
