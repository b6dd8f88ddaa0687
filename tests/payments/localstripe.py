"""A localstripe server for integration tests: its own port and its own data file, reset between tests.

localstripe always pickles its store to ``/tmp/localstripe.pickle``, so parallel runs would share (and
clobber) one store. The wrapper below replaces the two ``Store`` methods that read and write that file
before starting the server on a loopback port, so every run keeps its data under pytest's tmp dir.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

WRAPPER = """
import pickle
import sys

from aiohttp import web
from localstripe import resources, server

data_path, port = sys.argv[1], int(sys.argv[2])


def dump_to_disk(self):
    with open(data_path, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)


resources.Store.dump_to_disk = dump_to_disk
resources.Store.try_load_from_disk = lambda self: None
web.run_app(server.app, host="127.0.0.1", port=port, print=None)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, method: str, path: str, body: bytes | None = None, **headers: str) -> bytes:
    """A plain HTTP request to localstripe (its test-only endpoints, which the SDK does not know)."""
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.read()


class LocalStripe:
    """The running server: ``base`` is its address; ``reset`` empties its store."""

    def __init__(self, data_path: Path):
        self.data_path = data_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, str(data_path), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with code {self.process.returncode}")
            try:
                self.reset()
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"localstripe did not answer on {self.base}") from None
                time.sleep(0.1)

    def reset(self) -> None:
        call(self.base, "DELETE", "/_config/data")

    def register_webhook(self, name: str, url: str, secret: str, events: list[str]) -> None:
        body = json.dumps({"url": url, "secret": secret, "events": events}).encode()
        call(self.base, "POST", f"/_config/webhooks/{name}", body, **{"Content-Type": "application/json"})

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool) -> None:
        """The customer passing (or failing) a 3-D Secure challenge, through localstripe's test endpoint."""
        body = urllib.parse.urlencode({"client_secret": client_secret, "success": str(success).lower()})
        call(
            self.base,
            "POST",
            f"/v1/payment_intents/{intent_id}/_authenticate",
            body.encode(),
            **{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer sk_test_localstripe"},
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
