#!/usr/bin/env python3
"""The shop's API server, as a team would run it behind its load balancer:
JSON under /api/, a health endpoint for the load balancer's checks, and
nothing that knows about faultline (no backend header).

    shop_api.py PORT

INSTANCE names the instance in its answers (api1, api2).
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEMS = [
    {"sku": "SHOE-001", "name": "Trail runner", "price": 89.0},
    {"sku": "SHOE-002", "name": "City sneaker", "price": 64.5},
]


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, {"status": "ok"})
        elif self.path.startswith("/api/items"):
            self.answer(200, {"instance": os.environ.get("INSTANCE", "api"), "items": ITEMS})
        else:
            self.answer(404, {"error": "not found"})

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Api)
    server.daemon_threads = True
    server.serve_forever()
