#!/usr/bin/env python3
"""A Liveboard webhook receiver, with Python's standard library only.

    python3 webhook_receiver.py --port 9000 --secret whsec_...
    python3 webhook_receiver.py --port 9000 --secret-file hook.secret   # re-read per request

Each delivery is a POST whose `Liveboard-Signature` header is
`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. A receiver must:

1. verify the signature over the *raw* body, before parsing it, comparing in
   constant time (hmac.compare_digest): an `==` that stops at the first wrong byte
   tells an attacker how much of a forged signature was right;
2. refuse a timestamp more than 5 minutes away from its clock: the timestamp is
   signed, so a recorded delivery cannot be replayed later with a fresh one;
3. drop a delivery id it has already handled (`Liveboard-Delivery`): delivery is
   at least once, so the same event can arrive twice;
4. answer 2xx quickly (slow work goes to a queue of its own).

Verified deliveries are printed on stdout, one JSON object per line; refused ones
are answered 400 and reported on stderr. The first line on stdout is
`listening on http://127.0.0.1:<port>` (port 0 picks a free one).
"""

import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECS = 300
MAX_BODY_BYTES = 1 << 20


def verify(secret: str, header: str, body: bytes, now: float) -> str | None:
    """None if the signature is good and fresh, else why not."""
    fields = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [v for k, v in fields if k == "t"]
    signatures = [v for k, v in fields if k == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return "malformed signature header"
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > TOLERANCE_SECS:
        return f"stale: signed {int(now - timestamp)} s ago"
    signed = timestamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        return "signature mismatch"
    return None


class Receiver(BaseHTTPRequestHandler):
    secret = ""
    secret_file = ""
    seen: set[str] = set()

    def current_secret(self) -> str:
        if self.secret_file:
            with open(self.secret_file, encoding="utf-8") as f:
                return f.read().strip()
        return self.secret

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return self.answer(413, "body too large")
        body = self.rfile.read(length)
        why = verify(self.current_secret(), self.headers.get("Liveboard-Signature", ""), body, time.time())
        if why is not None:
            print(json.dumps({"refused": why}), file=sys.stderr, flush=True)
            return self.answer(400, why)
        delivery = self.headers.get("Liveboard-Delivery", "")
        if delivery in self.seen:
            return self.answer(200, "duplicate, already handled")
        self.seen.add(delivery)
        payload = json.loads(body)
        print(json.dumps({"delivery": delivery, "event": self.headers.get("Liveboard-Event"),
                          "payload": payload}), flush=True)
        self.answer(200, "ok")

    def answer(self, status: int, text: str) -> None:
        data = json.dumps({"status": text}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # stdout is for deliveries only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--secret", help="the hook's whsec_... secret")
    secret.add_argument("--secret-file", help="a file holding it, read at every request "
                        "(start the receiver before registering the hook; rotate without a restart)")
    args = parser.parse_args()
    Receiver.secret = args.secret or ""
    Receiver.secret_file = args.secret_file or ""
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
