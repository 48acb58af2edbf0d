"use client";

import { useSearchParams } from "next/navigation";

import { boardFromQuery } from "@/lib/boardList";

import { Board, type BoardProps } from "./Board";

/**
 * The board named by `?board=` (else `demo`). The query is read in the browser, so the page
 * around it stays static: wrap this in `<Suspense>` (the static HTML shows the fallback).
 */
export function BoardFromQuery({ inspector = false, hardening = false }: Pick<BoardProps, "inspector" | "hardening">) {
  const board = boardFromQuery(useSearchParams().get("board") ?? undefined);
  return <Board initialBoard={board} inspector={inspector} hardening={hardening} />;
}
