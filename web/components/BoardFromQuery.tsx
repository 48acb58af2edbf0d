"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";

import { boardQuery, DEFAULT_BOARD } from "@/lib/boardName";

import { Board, type BoardProps } from "./Board";

/**
 * The board named by `?board=` (else `demo`). The query is read in the browser, so the page
 * around it stays static: wrap this in `<Suspense>` (the static HTML shows the fallback). A
 * name the server would refuse is shown as an error, not silently swapped for `demo`.
 */
export function BoardFromQuery({ inspector = false, hardening = false }: Pick<BoardProps, "inspector" | "hardening">) {
  const query = boardQuery(useSearchParams().get("board"));
  const pathname = usePathname();
  if (query.kind === "invalid") {
    return (
      <div role="alert" data-testid="board-name-error" className="space-y-2 rounded-lg border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-900">
        <p className="font-medium">{query.message}</p>
        <p>
          Fix the address, or open{" "}
          <Link href={`${pathname}?board=${DEFAULT_BOARD}`} className="text-indigo-700 underline">
            the {DEFAULT_BOARD} board
          </Link>
          .
        </p>
      </div>
    );
  }
  return <Board initialBoard={query.board} inspector={inspector} hardening={hardening} />;
}
