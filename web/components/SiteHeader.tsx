import Link from "next/link";

import { PhaseNav } from "./PhaseNav";

/** The top bar: the project name (back to `/`) and the phase navigation. */
export function SiteHeader() {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-4xl flex-wrap items-center gap-x-8 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/" className="text-xl font-bold tracking-tight text-slate-900 hover:text-indigo-700">
          Liveboard
        </Link>
        <PhaseNav />
      </div>
    </header>
  );
}
