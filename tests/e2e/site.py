"""The site under test: a database of its own, the demo data, and a real server process on loopback.

The server runs the development settings (DEBUG on, no Stripe keys), so the demo payment method
and the demo users exist, exactly as after `make run`, but on PostgreSQL. A test module may start another
site with settings of its own (``env``), e.g. pointed at the payment providers' fakes.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_url(database_url: str, suffix: str) -> tuple[str, str]:
    """The server's maintenance database URL and the name of the e2e database beside the suite's."""
    base, _, name = database_url.rpartition("/")
    name = name.split("?")[0] or "dexiu"
    return f"{base}/postgres", f"{name}{suffix}"


def recreate_database(database_url: str, suffix: str = "_e2e") -> str:
    """Drop and create the e2e database (the suite's name + ``suffix``); return its URL."""
    admin, name = _admin_url(database_url, suffix)
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{database_url.rpartition('/')[0]}/{name}"


class Site:
    """`manage.py runserver` on a free loopback port, with migrations and the demo loaded first."""

    def __init__(self, database_url: str, workdir: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": database_url,
            "DEBUG": "1",
            "SECRET_KEY": "e2e-only",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MEDIA_ROOT": str(workdir / "media"),
            "STRIPE_SECRET_KEY": "",
            "STRIPE_PUBLISHABLE_KEY": "",
            "STRIPE_WEBHOOK_SECRET": "",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # The journeys sign in to the admin more often than a person would (limits: tests/storefront).
            "LOGIN_RATE_LIMIT": "0",
        }
        self.env.pop("REDIS_URL", None)
        self.env.update(env or {})
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput")
        self.manage("load_demo")
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):  # noqa: S310 (loopback)
                    return
            except OSError:  # refused, reset or timed out: not up yet
                time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within 60 s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
