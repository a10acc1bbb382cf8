"""HTTP servers on 127.0.0.1 for tests: ``loopback`` runs any handler; ``serve_json`` a JSON API
for the tests of the GitHub clients, whose logic the test supplies."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (method, path, JSON body or None, Authorization header) -> (status, headers, JSON answer)
Handle = Callable[[str, str, Any, str | None], tuple[int, dict[str, str], Any]]


@contextmanager
def serve_json(handle: Handle) -> Iterator[str]:
    """Serve ``handle`` on a free loopback port; yields the base URL, stops the server after."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            auth = self.headers.get("Authorization")
            status, headers, data = handle(self.command, self.path, body, auth)
            raw = json.dumps(data).encode()
            self.send_response(status)
            for key, value in {**headers, "Content-Type": "application/json"}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:
            pass

    with loopback(Handler) as url:
        yield url


@contextmanager
def loopback(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a free 127.0.0.1 port; yields the base URL, stops the server after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
