"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

import { PHASES } from "@/lib/phases";

/** One link per landed phase; the current one is marked for people and screen readers. */
export function PhaseNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Phases">
      <ul className="flex flex-wrap gap-1">
        {PHASES.map((phase) => {
          const current = pathname === phase.href || pathname.startsWith(`${phase.href}/`);
          return (
            <li key={phase.number}>
              <Link
                href={phase.href}
                aria-current={current ? "page" : undefined}
                className={
                  current
                    ? "inline-flex min-h-11 items-center rounded-md bg-indigo-50 px-3 py-1.5 text-sm font-medium text-indigo-700 sm:min-h-0"
                    : "inline-flex min-h-11 items-center rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 sm:min-h-0"
                }
              >
                <span className="text-slate-600">{phase.number}.</span> {phase.title}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
