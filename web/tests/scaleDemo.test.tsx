// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { InstanceProbe, PinProbe } from "@/lib/scale";
import { RuntimeConfigProvider } from "@/lib/useRuntimeConfig";

// The address as `useSearchParams` sees it. It does not follow `replaceState` here: that
// is the moment, in a real browser, between the click and Next.js's router catching up.
let address = new URLSearchParams("board=demo&via=a");
vi.mock("next/navigation", () => ({ useSearchParams: () => address }));

// The network: a balancer in front of instances a and b (`make scale`).
const answered = (instance: string): InstanceProbe => ({ kind: "answered", answer: { instance, store: "redis", bus: "nats" } });
const PINS: readonly PinProbe[] = [
  { pin: "a", probe: answered("a") as PinProbe["probe"] },
  { pin: "b", probe: answered("b") as PinProbe["probe"] },
];
vi.mock("@/lib/scaleHooks", () => ({
  useInstanceProbe: (base: string | null) => ({ probe: base === null ? null : answered("a"), askAgain: () => {} }),
  usePins: (_url: string | null, wanted: boolean) => (wanted ? PINS : null),
  useInstancesHealth: () => ({}),
}));
// The board below the picker is phase 4's, tested on its own.
vi.mock("@/components/Board", () => ({ Board: () => null }));

import { ScaleDemo } from "@/components/ScaleDemo";

afterEach(() => {
  cleanup();
  address = new URLSearchParams("board=demo&via=a");
});

const radio = (id: string) => screen.getByTestId(id) as HTMLInputElement;

function renderDemo() {
  render(
    <RuntimeConfigProvider config={{ backendUrl: "http://127.0.0.1:8000", bookUrl: "http://127.0.0.1:3001" }}>
      <ScaleDemo />
    </RuntimeConfigProvider>,
  );
}

describe("ScaleDemo's choice of instance", () => {
  it("starts from the address", () => {
    renderDemo();
    expect(radio("scale-pin-a").checked).toBe(true);
    expect(radio("scale-pin-any").checked).toBe(false);
  });

  it("shows a click's choice at once, before the address catches up, and writes it there", () => {
    renderDemo();
    fireEvent.click(radio("scale-pin-any"));
    expect(radio("scale-pin-any").checked).toBe(true);
    expect(radio("scale-pin-a").checked).toBe(false);
    expect(new URL(window.location.href).searchParams.get("via")).toBe("any");
    fireEvent.click(radio("scale-pin-b"));
    expect(radio("scale-pin-b").checked).toBe(true);
    expect(new URL(window.location.href).searchParams.get("via")).toBe("b");
  });
});
