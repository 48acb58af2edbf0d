import { describe, expect, it } from "vitest";

import {
  PERSON_COLORS,
  defaultColor,
  identityQuery,
  isColor,
  nameProblem,
  newClientId,
  parseIdentity,
  presenceAction,
  presenceColors,
  presenceReducer,
  type Person,
} from "./presence";

const ana: Person = { clientId: "a1", name: "Ana", color: "#ff0000" };
const bo: Person = { clientId: "b2", name: "Bo", color: "#00ff00" };

describe("presenceReducer", () => {
  it("replaces everything with a list, then applies diffs", () => {
    let state = presenceReducer([bo], { type: "list", people: [ana] });
    expect(state).toEqual([ana]);
    state = presenceReducer(state, { type: "join", person: bo });
    expect(state).toEqual([ana, bo]);
    state = presenceReducer(state, { type: "leave", clientId: "a1" });
    expect(state).toEqual([bo]);
  });

  it("treats a join of someone already here as an update in place", () => {
    const renamed = { ...ana, name: "Ana B" };
    expect(presenceReducer([ana, bo], { type: "join", person: renamed })).toEqual([renamed, bo]);
  });

  it("ignores a leave of someone unknown", () => {
    expect(presenceReducer([ana], { type: "leave", clientId: "zz" })).toEqual([ana]);
  });
});

describe("presenceAction", () => {
  it("reads the three presence events the server sends", () => {
    expect(presenceAction("presence.list", JSON.stringify({ people: [ana, { bad: 1 }] }))).toEqual({
      type: "list",
      people: [ana],
    });
    expect(presenceAction("presence.join", JSON.stringify(bo))).toEqual({ type: "join", person: bo });
    expect(presenceAction("presence.leave", '{"clientId":"b2"}')).toEqual({ type: "leave", clientId: "b2" });
  });

  it("returns null for other events and malformed data", () => {
    expect(presenceAction("message", JSON.stringify(ana))).toBeNull();
    expect(presenceAction("presence.join", "not json")).toBeNull();
    expect(presenceAction("presence.join", '{"clientId":1}')).toBeNull();
    expect(presenceAction("presence.list", '{"people":null}')).toBeNull();
  });
});

describe("identity", () => {
  it("validates names and colors like the server", () => {
    expect(nameProblem("  Ana ")).toBeNull();
    expect(nameProblem("   ")).not.toBeNull();
    expect(nameProblem("x".repeat(33))).not.toBeNull();
    expect(nameProblem("é".repeat(32))).toBeNull();
    expect(isColor("#3B82F6")).toBe(true);
    expect(isColor("red")).toBe(false);
  });

  it("makes 32-hex-digit client ids", () => {
    expect(newClientId((b) => b.fill(171))).toBe("ab".repeat(16));
    expect(newClientId()).toMatch(/^[0-9a-f]{32}$/);
  });

  it("parses only a valid stored identity", () => {
    expect(parseIdentity(JSON.stringify(ana))).toEqual(ana);
    expect(parseIdentity(null)).toBeNull();
    expect(parseIdentity("{")).toBeNull();
    expect(parseIdentity(JSON.stringify({ ...ana, color: "red" }))).toBeNull();
    expect(parseIdentity(JSON.stringify({ ...ana, clientId: "a b" }))).toBeNull();
  });

  it("puts the identity in a query string the server decodes", () => {
    const q = new URLSearchParams(identityQuery({ clientId: "a1", name: " Ana María ", color: "#FF0000" }));
    expect(q.get("name")).toBe("Ana María");
    expect(q.get("color")).toBe("#ff0000");
  });
});

describe("a new person's default color", () => {
  it("is one nobody on the board uses, whatever the draw", () => {
    const taken = PERSON_COLORS.slice(0, PERSON_COLORS.length - 2).map((c) => c.toUpperCase());
    const free = PERSON_COLORS.slice(-2);
    for (const draw of [0, 0.49, 0.5, 0.999]) {
      expect(free).toContain(defaultColor(taken, () => draw));
    }
  });

  it("differs between the free colors by the draw, so two newcomers rarely collide", () => {
    expect(defaultColor([], () => 0)).toBe(PERSON_COLORS[0]);
    expect(defaultColor([], () => 0.999)).toBe(PERSON_COLORS[PERSON_COLORS.length - 1]);
  });

  it("is dark enough for the white initials drawn on it (WCAG AA, 4.5:1)", () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    for (const color of PERSON_COLORS) expect(1.05 / (luminance(color) + 0.05), color).toBeGreaterThanOrEqual(4.5);
    expect(new Set(PERSON_COLORS).size).toBe(PERSON_COLORS.length);
  });

  it("is any palette color at random when every one is taken", () => {
    expect(defaultColor(PERSON_COLORS, () => 0.35)).toBe(PERSON_COLORS[3]);
  });

  it("reads the colors in use from GET /boards/:board/presence, skipping malformed people", () => {
    const body = { board: "b", people: [{ clientId: "a", name: "Ana", color: "#ff0000", tabs: 2 }, { name: "x" }] };
    expect(presenceColors(body)).toEqual(["#ff0000"]);
    expect(presenceColors({ people: "no" })).toEqual([]);
  });
});
