import { describe, expect, it } from "vitest";

import { accessView, linkAddress, parseAccess, parseLink, parseSession } from "./access";

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
