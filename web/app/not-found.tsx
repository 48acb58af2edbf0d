import type { Metadata } from "next";
import Link from "next/link";

import { PHASES } from "@/lib/phases";

export const metadata: Metadata = {
  title: "Not found",
};

/** Any address the app does not have: a 404 inside the site's frame, with the ways back. */
export default function NotFound() {
  return (
    <section className="max-w-2xl space-y-4">
      <h1 className="text-3xl font-bold tracking-tight">No page here</h1>
      <p className="text-slate-700">
        This address is not part of Liveboard (the server answered <code>404 Not Found</code>). Go back to{" "}
        <Link href="/" className="text-indigo-700 underline">
          the board
        </Link>
        , or to a phase:
      </p>
      <ul className="list-disc space-y-1 pl-5">
        {PHASES.map((phase) => (
          <li key={phase.number}>
            <Link href={phase.href} className="text-indigo-700 underline">
              Phase {phase.number}: {phase.title}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
