import type { ReactNode } from "react";

import type { SessionStatus } from "@/lib/useSession";

/**
 * Who the server thinks we are, in one line: the teaching pages say it, since on a private
 * server (the default) it decides which boards we may open.
 */
export function SseSignedInAs({ status }: { readonly status: SessionStatus }) {
  let text: ReactNode;
  switch (status.kind) {
    case "asking":
      text = "Asking the server who you are…";
      break;
    case "signed-out":
      text = "Not signed in: choose a name to sign in (the server then sets a session cookie).";
      break;
    case "signed-in":
      text = (
        <>
          Signed in as <strong data-testid="session-name">{status.person.name}</strong> — the server signed your session
          cookie, so it (not the page) decides who you are. On a private server the first person to open a board owns it;
          others need a share link from its owner (the board page&apos;s Share panel).
        </>
      );
      break;
    case "no-sessions":
      text = "This server has no sessions (phase 2 or 3 on its own): it believes the name the page sends.";
      break;
    case "failed":
      text = `Could not sign in: ${status.problem}`;
      break;
  }
  return (
    <p data-testid="session-status" data-kind={status.kind} className="text-sm text-slate-600">
      {text}
    </p>
  );
}
