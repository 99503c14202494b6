"""A local HTTP receiver for the tests of what the server sends out (webhooks, Home Assistant calls):
it keeps every request and can fail a path's first few."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import free_port


class Receiver:
    """An HTTP server on loopback that keeps every request, answering 500 to a path's first `fail[path]`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.got: list[dict] = []
        self.fail: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append({"path": self.path, "headers": dict(self.headers), "body": body})
                failing = receiver.fail.get(self.path, 0)
                if failing:
                    receiver.fail[self.path] = failing - 1
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, predicate, timeout: float = 240) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [hit for hit in self.got if predicate(hit)]
            if found:
                return found
            assert time.monotonic() < deadline, [
                (h["path"], h["headers"].get("X-Nemo-Event")) for h in self.got
            ]
            time.sleep(0.3)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
