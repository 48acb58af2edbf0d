// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Notice } from "@/lib/boardState";

import { ToastStack } from "@/components/ToastStack";

const toast = (id: number, kind: Notice["kind"] = "remote"): Notice => ({ id, kind, text: `toast ${id}`, at: id });

function setVisibility(state: DocumentVisibilityState) {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
}

afterEach(() => {
  cleanup();
  setVisibility("visible");
});

describe("ToastStack", () => {
  it("shows a toast while the tab is visible", () => {
    const onDismiss = vi.fn();
    render(<ToastStack toasts={[toast(1)]} onDismiss={onDismiss} onUndo={vi.fn()} />);
    expect(screen.getByText("toast 1")).toBeDefined();
    expect(onDismiss).not.toHaveBeenCalled();
  });

  it("drops a toast that arrives while the tab is hidden, instead of replaying it later", () => {
    setVisibility("hidden");
    const onDismiss = vi.fn();
    render(<ToastStack toasts={[toast(1)]} onDismiss={onDismiss} onUndo={vi.fn()} />);
    expect(onDismiss).toHaveBeenCalledWith(1);
  });

  it("drops the toasts on screen when the tab goes to the background", () => {
    const onDismiss = vi.fn();
    render(<ToastStack toasts={[toast(1), toast(2)]} onDismiss={onDismiss} onUndo={vi.fn()} />);
    setVisibility("hidden");
    document.dispatchEvent(new Event("visibilitychange"));
    expect(onDismiss.mock.calls.map(([id]) => id)).toEqual([1, 2]);
  });

  it("offers Undo on my own delete", () => {
    const onUndo = vi.fn();
    render(<ToastStack toasts={[{ ...toast(3, "deleted"), undoOpId: "op-9" }]} onDismiss={vi.fn()} onUndo={onUndo} />);
    screen.getByTestId("toast-undo").click();
    expect(onUndo).toHaveBeenCalledWith("op-9");
  });
});
