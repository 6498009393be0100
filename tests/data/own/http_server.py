#!/usr/bin/env python3
"""A small HTTP/1.1 server standing in for a team's own program in
faultline's tests (kind: process). It knows nothing of faultline: it sends
no backend header, only its own name in the body, so the tests can check
that shares are measured without one.

    http_server.py PORT [NAME]

GET /health answers 200 "ok"; any other GET answers 200 with
"NAME PATH\n". SERVER_DELAY_MS (environment) delays every answer but
/health, to show that a service's env reaches it.
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a load balancer expects

    def do_GET(self):
        if self.path == "/health":
            body = b"ok\n"
        else:
            delay_ms = int(os.environ.get("SERVER_DELAY_MS", "0"))
            if delay_ms > 0:
                time.sleep(delay_ms / 1000.0)
            body = f"{self.server.name} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # one line per request would fill the run's logs


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    server.name = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("APP_NAME", "app")
    server.serve_forever()


if __name__ == "__main__":
    main()
