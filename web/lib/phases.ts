/**
 * The course map: one entry per phase that has landed in the web app.
 *
 * The header navigation and the landing page are both drawn from this list, so adding a
 * phase is one line here (plus its page under `app/phases/N/`). Each phase also names its
 * chapter of the book (`docs/src/<chapter>.md`), so the demo page and the text lead to
 * each other ({@link bookLinks}).
 */

/** One phase of the course, as shown in the navigation. */
export interface Phase {
  /** Position in the course, 1-based; also the URL segment (`/phases/1`). */
  readonly number: number;
  /** Machine name, the same as the backend's `/health` `phases[].slug`. */
  readonly slug: string;
  /** Short title for the navigation. */
  readonly title: string;
  /** One line saying what the phase teaches. */
  readonly summary: string;
  /** Where the phase's demo page lives. */
  readonly href: `/phases/${number}`;
  /** The book chapter's file name without `.md` (`docs/src/ch01-foundations.md`). */
  readonly chapter: string;
}

/**
 * A phase whose chapter is `chNN-<slug>`, unless `chapter` names another page of the book
 * (a phase whose chapter is not written yet links to the page that covers it).
 */
function phase(number: number, slug: string, title: string, summary: string, chapter = `ch${String(number).padStart(2, "0")}-${slug}`): Phase {
  return { number, slug, title, summary, href: `/phases/${number}`, chapter };
}

/** Every phase that has a page, in course order. */
export const PHASES: readonly Phase[] = [
  phase(1, "foundations", "Foundations", "HTTP request and response, and why the server cannot push: polling /health."),
  phase(2, "sse", "Server-Sent Events", "One response that never ends: EventSource, automatic reconnection with Last-Event-ID, presence."),
  phase(3, "websocket", "WebSocket", "One connection, both directions: the upgrade handshake, frames, close codes, and a frame inspector."),
  phase(4, "board", "The board", "Optimistic UI on a shared board: pending ops, acks and rejections, events in sequence order, idempotent retries."),
  phase(5, "hardening", "Hardening", "Links that fail: reconnection by a shared backoff contract, heartbeats and a deadline, resuming where the page left off."),
  phase(6, "third-party", "Third-party libraries", "The same protocols through libraries: EventSource options in the browser, tokio-tungstenite behind the WebSocket seam."),
  phase(7, "scale-out", "Scale-out", "Several servers, one board: a shared store numbers the events, a bus carries them to every instance, a balancer in front."),
  phase(8, "protocol-lab", "Protocol lab", "One stream of events five ways — short and long polling, SSE, WebSocket, a webhook — and what each costs, measured live."),
];

/** The phase with this number, or `undefined` if it has not landed yet. */
export function findPhase(number: number): Phase | undefined {
  return PHASES.find((p) => p.number === number);
}

/** The id mdBook gives the `## Exercises` heading that ends every chapter. */
export const EXERCISES_ANCHOR = "exercises";

/**
 * Where a phase's chapter and its exercises are in the book served at `bookUrl` (no
 * trailing slash): mdBook turns `ch01-foundations.md` into `ch01-foundations.html`.
 */
export function bookLinks(bookUrl: string, phase: Pick<Phase, "chapter">): { readonly chapter: string; readonly exercises: string } {
  const chapter = `${bookUrl}/${phase.chapter}.html`;
  return { chapter, exercises: `${chapter}#${EXERCISES_ANCHOR}` };
}
