"""Settings come from the environment: each environment's module loads, bad values are refused,
and every variable the settings read is documented in .env.example."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent


def variables_read_by_settings() -> set[str]:
    names = set()
    for path in [*(ROOT / "config" / "settings").glob("*.py"), ROOT / "config" / "env.py"]:
        names |= set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", path.read_text()))
    return names


def clean_environment() -> dict[str, str]:
    """This process's environment without anything the settings read."""
    ignored = variables_read_by_settings() | {"DJANGO_SETTINGS_MODULE"}
    return {key: value for key, value in os.environ.items() if key not in ignored}


PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "SERVE_MEDIA": settings.SERVE_MEDIA,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
}))
"""


def run_python(code: str, settings_module: str, **env: str) -> subprocess.CompletedProcess:
    environ = clean_environment()
    environ.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean_environment(), "DJANGO_SETTINGS_MODULE": "config.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_cookies_are_secure():
    code = (
        "import django, json; django.setup()\nfrom django.conf import settings\n"
        "print(json.dumps([settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.LANGUAGE_COOKIE_SECURE]))"
    )
    result = run_python(code, "config.settings.production", SECRET_KEY="x" * 60)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, True, True]


def test_dev_settings_load_with_nothing_configured():
    """`make run` needs no configuration: SQLite, DEBUG on, tasks in-process, mail to the console."""
    result = run_python("import django; django.setup()\n" + PRINT_SETTINGS, "config.settings.dev")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": True,
        "ENGINE": "django.db.backends.sqlite3",
        "CACHE": "django.core.cache.backends.locmem.LocMemCache",
        "EAGER": True,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "SERVE_MEDIA": True,
        "LANGUAGE_CODE": "zh-hans",
    }


def test_test_settings_load_on_postgresql_with_redis():
    result = run_python(
        "import django; django.setup()\n" + PRINT_SETTINGS,
        "config.settings.test",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/dexiu",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["DEBUG"] is False
    assert loaded["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["CACHE"] == "core.cache.ResilientRedisCache"
    assert loaded["EAGER"] is True  # tasks run in-process in tests: no worker
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


def test_test_settings_refuse_sqlite():
    result = run_python("import django; django.setup()", "config.settings.test", DATABASE_URL="sqlite:////tmp/x.db")

    assert result.returncode != 0
    assert "The test suite runs on PostgreSQL" in result.stderr


def test_a_misspelt_boolean_stops_the_start():
    result = run_python("import django; django.setup()", "config.settings.dev", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("DEXIU_FLAG", raw)
    assert env_bool("DEXIU_FLAG", not expected) is expected


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("DEXIU_SIZE", "48")
    monkeypatch.setenv("DEXIU_HOSTS", " shop.example.com, ,localhost ")
    monkeypatch.delenv("DEXIU_MISSING", raising=False)

    assert env_int("DEXIU_SIZE", 24) == 48
    assert env_int("DEXIU_MISSING", 24) == 24
    assert env_list("DEXIU_HOSTS") == ["shop.example.com", "localhost"]
    assert env_str("DEXIU_MISSING", "fallback") == "fallback"
    monkeypatch.setenv("DEXIU_SIZE", "many")
    with pytest.raises(ImproperlyConfigured, match="DEXIU_SIZE must be an integer"):
        env_int("DEXIU_SIZE", 24)


def test_every_environment_variable_is_documented_in_env_example():
    read = variables_read_by_settings()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert len(read) >= 20
    assert read - documented == set(), "add these to .env.example"
