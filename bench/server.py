"""Processes the benchmark drives: manage.py steps and gunicorn with the bench settings, on loopback."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def analyze(url: str) -> None:
    """``VACUUM ANALYZE`` the whole database: the planner's statistics, as autovacuum keeps them in production.

    Where autovacuum is off (the CI machine's PostgreSQL: ``autovacuum = off`` in its ``conf.d``), a database built
    just before the run has none, and every query is planned from guesses; a shop that has been open has them."""
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def bench_env(database_url: str, redis_url: str, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(workdir / "media"),
        "SERVE_MEDIA": "1",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    return env


def run(env: dict[str, str], *args: str, timeout: int = 900) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def manage(env: dict[str, str], *args: str) -> str:
    return run(env, sys.executable, "manage.py", *args)


class Gunicorn:
    """``gunicorn config.wsgi`` with gthread workers; ``base`` is its address."""

    def __init__(
        self, env: dict[str, str], workdir: Path, workers: int = 4, threads: int = 4, log: str = "gunicorn.log"
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / log
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):  # noqa: S310 (loopback)
                    return
            except OSError:  # refused, reset or timed out: not up yet
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class CeleryWorker:
    """``celery -A worker worker`` with the bench settings; returns once it logs that it is ready."""

    def __init__(self, env: dict[str, str], workdir: Path, concurrency: int = 2):
        self.log = workdir / "celery.log"
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "worker", "worker", "--concurrency", str(concurrency), "--loglevel", "info"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while " ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the celery worker did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
