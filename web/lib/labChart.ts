/**
 * Chart geometry for the lab's small SVG charts: scales that start at zero and end on a
 * round number, a polyline through a series, bars side by side. Pure, so the charts'
 * shapes are tested without drawing them.
 */

/** The smallest "round" number (1, 2 or 5 × a power of ten) at or above `value`; 1 for nothing. */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value - 1e-9) return step * power;
  }
  return 10 * power;
}

/** `value` on a scale of 0–`max` drawn `size` pixels tall, measured from the bottom (y grows down). */
export function yOf(value: number, max: number, size: number): number {
  const clamped = Math.min(Math.max(value, 0), max);
  return size - (clamped / max) * size;
}

/** The SVG `points` of a polyline through `values`, evenly spaced over `width`, scaled to `max`. */
export function linePoints(values: readonly number[], max: number, width: number, height: number): string {
  if (values.length === 0) return "";
  const step = values.length === 1 ? 0 : width / (values.length - 1);
  return values.map((v, i) => `${round(i * step)},${round(yOf(v, max, height))}`).join(" ");
}

/** One bar of a bar chart. */
export interface Bar {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Bars for `values` side by side across `width`, each `gap` apart, scaled to `max`. */
export function bars(values: readonly (number | null)[], max: number, width: number, height: number, gap = 4): Bar[] {
  const n = values.length;
  if (n === 0) return [];
  const barWidth = Math.max(1, (width - gap * (n - 1)) / n);
  return values.map((v, i) => {
    const y = yOf(v ?? 0, max, height);
    return { x: round(i * (barWidth + gap)), y: round(y), width: round(barWidth), height: round(height - y) };
  });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
