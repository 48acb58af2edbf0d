// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { SseIdentityForm } from "@/components/SseIdentityForm";
import { PERSON_COLORS } from "@/lib/presence";

afterEach(cleanup);

const colorInput = () => screen.getByTestId("sse-color-input") as HTMLInputElement;

function join(name: string) {
  fireEvent.change(screen.getByTestId("sse-name-input"), { target: { value: name } });
  fireEvent.click(screen.getByTestId("sse-join"));
}

describe("SseIdentityForm's color", () => {
  it("waits while the offered color is being worked out, then offers it", () => {
    const onSave = vi.fn();
    const { rerender } = render(<SseIdentityForm identity={null} defaultColor={null} onSave={onSave} />);
    expect(colorInput().disabled).toBe(true);

    rerender(<SseIdentityForm identity={null} defaultColor="#047857" onSave={onSave} />);
    expect(colorInput().disabled).toBe(false);
    expect(colorInput().value).toBe("#047857");
    join("Ana");
    expect(onSave).toHaveBeenCalledWith("Ana", "#047857");
  });

  it("keeps a color the person picked when a new offer arrives", () => {
    const onSave = vi.fn();
    const { rerender } = render(<SseIdentityForm identity={null} defaultColor="#047857" onSave={onSave} />);
    fireEvent.change(colorInput(), { target: { value: "#b91c1c" } });
    rerender(<SseIdentityForm identity={null} defaultColor="#0369a1" onSave={onSave} />);
    expect(colorInput().value).toBe("#b91c1c");
    join("Ana");
    expect(onSave).toHaveBeenCalledWith("Ana", "#b91c1c");
  });

  it("someone already known edits their own color, whatever the offer", () => {
    const onSave = vi.fn();
    render(<SseIdentityForm identity={{ clientId: "u-1", name: "Bo", color: "#7c3aed" }} defaultColor={null} onSave={onSave} />);
    expect(colorInput().disabled).toBe(false);
    expect(colorInput().value).toBe("#7c3aed");
  });

  it("without an offer, the palette's first color", () => {
    render(<SseIdentityForm identity={null} onSave={vi.fn()} />);
    expect(colorInput().disabled).toBe(false);
    expect(colorInput().value).toBe(PERSON_COLORS[0]);
  });
});
