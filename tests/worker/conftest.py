"""A real Redis and a real `celery -A worker worker` process for the outbox integration tests.

The worker runs in its own process group (so `kill -9` takes its pool children too) with the test
settings, the test database of this run and CELERY_EAGER=0; this process publishes to the same Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.fixtures.users import english_admin
from tests.worker.helpers import BROKER_URL, set_app_conf, use_broker
from tests.worker.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
WORKER_COMMAND = [
    str(CELERY),
    "-A",
    "worker",
    "worker",
    "--pool",
    "prefork",
    "--concurrency",
    "1",
    "--loglevel",
    "INFO",
]
WORKER_COMMAND += ["--without-gossip", "--without-mingle"]

# Short delays so the whole run stays quick; the worker process reads the same values from its environment.
FAST = {
    "OUTBOX_BACKOFF_SECONDS": 0.2,
    "OUTBOX_BACKOFF_MAX_SECONDS": 1.0,
    "OUTBOX_WEBHOOK_TIMEOUT": 2.0,
    "CELERY_TASK_SOFT_TIME_LIMIT": 3,
    "CELERY_TASK_TIME_LIMIT": 4,
    "OUTBOX_STUCK_SECONDS": 5,
}


def test_database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


class WorkerProcess:
    """`celery -A worker worker`, prefork with one child, logging to a file."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 40) -> None:
        self.starts += 1
        self.log = self.log_dir / f"worker-{self.starts}.log"
        env = {
            **os.environ,
            **{name: str(value) for name, value in FAST.items()},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": BROKER_URL,
            "CELERY_EAGER": "0",
            "DB_CONN_MAX_AGE": "600",  # connections kept between tasks, as in production (worker.connections)
        }
        name = f"outbox-test-{uuid.uuid4().hex[:8]}@localhost"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [*WORKER_COMMAND, "--hostname", name],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the celery worker did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9 the worker and its pool children, as a crash or the OOM killer would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def operator(operator):
    return english_admin(operator)


@pytest.fixture
def fast_outbox(settings):
    for name, value in FAST.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def live_broker(transactional_db, fast_outbox):
    """This process publishes to the real Redis (database 1) instead of running tasks eagerly."""
    use_broker(BROKER_URL)
    yield BROKER_URL
    set_app_conf(task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER, broker_url=settings.CELERY_BROKER_URL)


@pytest.fixture(scope="module")
def worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker for the module (its connection holds no lock between tasks, so it outlives each test's flush)."""
    redis.Redis.from_url(BROKER_URL).delete("celery", "unacked", "unacked_index")
    with django_db_blocker.unblock():
        worker = WorkerProcess(tmp_path_factory.mktemp("celery"))
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(live_broker, worker_process):
    """The running worker (started again if a test killed it)."""
    if worker_process.proc.poll() is not None:
        worker_process.start()
    return worker_process


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()
