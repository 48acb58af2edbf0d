"use client";

import { bookLinks, findPhase } from "@/lib/phases";
import { useBookUrl } from "@/lib/useRuntimeConfig";

export interface PhaseBookLinksProps {
  /** The phase whose chapter to link (`lib/phases.ts`). */
  readonly number: number;
}

const LINK = "rounded-md border border-indigo-200 bg-white px-2 py-0.5 text-indigo-700 hover:border-indigo-400 hover:bg-indigo-50";

/**
 * The phase's chapter in the book, and its exercises. The book's address is known at run
 * time (`LIVEBOARD_BOOK_URL`, see lib/runtimeConfig.ts): until it is, the links have no
 * target.
 */
export function PhaseBookLinks({ number }: PhaseBookLinksProps) {
  const bookUrl = useBookUrl();
  const phase = findPhase(number);
  if (!phase) return null;
  const links = bookUrl ? bookLinks(bookUrl, phase) : null;
  return (
    <nav aria-label="In the book" className="flex flex-wrap gap-2 text-sm">
      <a data-testid="book-chapter" href={links?.chapter} className={LINK}>
        Read chapter {number} in the book
      </a>
      <a data-testid="book-exercises" href={links?.exercises} className={LINK}>
        Exercises
      </a>
    </nav>
  );
}
