/**
 * What loading a piece of code cost the page, measured by the browser: the JavaScript
 * files fetched while it loaded (Resource Timing), their bytes on the wire (compressed)
 * and as code. The page uses it to show what each EventSource option adds to the bundle:
 * the packages are loaded with `import()` when chosen, so their chunks arrive then.
 */

/** The fields of a `PerformanceResourceTiming` this reads. */
export interface ResourceEntry {
  readonly name: string;
  /** When the fetch started (ms since the page's time origin). */
  readonly startTime: number;
  readonly encodedBodySize: number;
  readonly decodedBodySize: number;
}

export interface ScriptCost {
  readonly files: number;
  /** Bytes as sent (compressed, when the server compresses). */
  readonly wireBytes: number;
  /** Bytes of JavaScript. */
  readonly bytes: number;
}

/**
 * The cost of the `.js` files among `entries` fetched from `since` on. (Files whose fetch
 * had started before, such as the prefetched code of linked pages, are not the load's.)
 */
export function scriptCost(since: number, entries: readonly ResourceEntry[]): ScriptCost {
  const scripts = entries.filter((e) => e.startTime >= since && new URL(e.name, "http://x").pathname.endsWith(".js"));
  return {
    files: scripts.length,
    wireBytes: scripts.reduce((sum, e) => sum + e.encodedBodySize, 0),
    bytes: scripts.reduce((sum, e) => sum + e.decodedBodySize, 0),
  };
}

/** Runs `load` in the browser and measures the scripts it fetched. */
export async function measureScripts<T>(load: () => Promise<T>): Promise<{ readonly value: T; readonly cost: ScriptCost }> {
  const since = performance.now();
  const value = await load();
  return { value, cost: scriptCost(since, performance.getEntriesByType("resource") as unknown as readonly ResourceEntry[]) };
}

/** `12.3 kB` (1 kB = 1000 bytes). */
export function formatBytes(bytes: number): string {
  return bytes < 1000 ? `${bytes} B` : `${(bytes / 1000).toFixed(1)} kB`;
}
