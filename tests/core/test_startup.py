"""A loaded web or worker process keeps its start-up objects out of the garbage collector (core/startup.py).

Without it a full collection walks the ~420,000 objects of a loaded site, about 200 ms during which every thread
of that gunicorn worker waits: the slowest requests of a busy sale. Each case runs in a fresh interpreter, as a
gunicorn or Celery pool process starts.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

REPORT = """
import gc, json
{load}
gc.collect()
print(json.dumps({{"frozen": gc.get_freeze_count(), "walked": len(gc.get_objects())}}))
"""


def _loaded(load: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", REPORT.format(load=load)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_process_collects_only_what_it_made_since_it_loaded_the_site():
    counts = _loaded("import config.wsgi")
    assert counts["frozen"] > 100_000  # the site, its URL patterns and views
    assert counts["walked"] < counts["frozen"] / 10


def test_a_worker_pool_process_freezes_what_it_was_forked_with():
    counts = _loaded(
        "import django; django.setup()\n"
        "from celery.signals import worker_process_init\n"
        "from config.celery import app\n"
        "app.loader.import_default_modules()\n"
        "worker_process_init.send(sender=None)"
    )
    assert counts["frozen"] > 50_000
    assert counts["walked"] < counts["frozen"] / 10
