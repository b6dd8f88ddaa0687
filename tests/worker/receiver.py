"""A local HTTP receiver standing in for a counter's own system (stdlib server in a thread)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers POSTs with the scripted status codes (then 200); can hold the first request until released."""

    statuses: list[int] = field(default_factory=list)
    hold_first: bool = False
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with receiver._changed:
                    number = len(receiver.requests)
                    receiver.requests.append(Received(dict(self.headers.items()), body))
                    status = receiver.statuses[number] if number < len(receiver.statuses) else 200
                    receiver._changed.notify_all()
                if number == 0 and receiver.hold_first:
                    receiver.release.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/dexiu/webhook"

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once at least `count` requests arrived, False after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.requests) >= count, timeout)
