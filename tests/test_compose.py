"""docker-compose.yml and the Dockerfile, checked without Docker: every command the containers run
names a module, attribute or management command that exists, and the services start in order."""

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery import Celery
from django.core.management import get_commands
from django.urls import resolve

from config import health

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("db", "redis", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def check_command(command: str) -> None:
    """Fail unless what the command starts can be found in this project."""
    argv = shlex.split(command)
    program = argv[0]
    if program == "gunicorn":
        module_name, _, attribute = argv[1].partition(":")
        application = getattr(importlib.import_module(module_name), attribute)
        assert callable(application), argv[1]
    elif program == "celery":
        module_name = argv[argv.index("-A") + 1]
        app = importlib.import_module(module_name).app
        assert isinstance(app, Celery), module_name
        assert argv[argv.index("-A") + 2] in {"worker", "beat"}, command
    elif program == "python" and argv[1] == "manage.py":
        assert (ROOT / "manage.py").is_file()
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    else:
        pytest.fail(f"unknown command in docker-compose.yml: {command}")


def test_all_services_are_there(compose):
    services = compose["services"]
    assert set(services) >= {"db", "redis", *APP_SERVICES}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name


def test_every_command_names_something_that_exists(compose):
    commands = {name: compose["services"][name]["command"] for name in APP_SERVICES}

    assert commands["web"].startswith("gunicorn config.wsgi:application")
    assert commands["worker"].startswith("celery -A worker worker")
    assert commands["beat"].startswith("celery -A worker beat")
    assert commands["migrate"].startswith("python manage.py migrate")
    for command in commands.values():
        check_command(command)


def test_the_checker_rejects_commands_that_name_nothing():
    with pytest.raises(AttributeError):
        check_command("gunicorn config.wsgi:no_such_app --bind 0.0.0.0:8000")
    with pytest.raises(ModuleNotFoundError):
        check_command("celery -A no_such_module worker")
    with pytest.raises(AssertionError):
        check_command("python manage.py no_such_command")


def test_long_running_services_have_health_checks(compose):
    for name in LONG_RUNNING:
        healthcheck = compose["services"][name].get("healthcheck")
        assert healthcheck and healthcheck["test"], f"{name} has no health check"
    web_probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "urllib" in web_probe, "the slim image has no curl"
    path = re.search(r"localhost:8000(/\w+)", web_probe).group(1)
    assert resolve(path).func is health.healthz
    assert "pg_isready" in " ".join(compose["services"]["db"]["healthcheck"]["test"])
    assert "ping" in compose["services"]["redis"]["healthcheck"]["test"]


def test_app_services_wait_for_healthy_db_and_redis_and_for_migrations(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"


def test_app_services_run_production_settings_against_compose_db_and_redis(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "@db:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert importlib.util.find_spec(environment["DJANGO_SETTINGS_MODULE"]) is not None


def test_data_lives_in_volumes(compose):
    assert {"pgdata", "media", "private-media"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    for name in ("web", "worker"):
        # Uploaded files, and the private ones (certificate evidence, organisation proofs) outlive a container.
        assert "media:/app/media" in compose["services"][name]["volumes"]
        assert "private-media:/app/media-private" in compose["services"][name]["volumes"]
        assert compose["services"][name]["environment"]["PRIVATE_MEDIA_ROOT"] == "/app/media-private"


def test_variables_compose_interpolates_are_documented():
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert used
    assert used - documented == set()


def test_dockerfile_builds_a_non_root_production_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line[:1].isalpha()]
    keywords = [parts[0] for parts in instructions]

    assert instructions[0] == ["FROM", "python:3.11-slim"]
    users = [parts[1].strip() for parts in instructions if parts[0] == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert keywords.index("USER") > keywords.index("RUN"), "build steps run before dropping root"
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert "config.wsgi:application" in dockerfile


def test_secrets_and_local_state_stay_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".env", ".venv", "db.sqlite3", "media", "media-private", ".git"} <= ignored


def test_compose_and_env_example_trust_the_one_proxy_in_front(compose):
    """The README puts a TLS proxy in front of `web`: without trusting it, every client shares one
    rate-limit budget (the proxy's address)."""
    env_example = (ROOT / ".env.example").read_text()
    documented = re.search(r"^TRUSTED_PROXY_COUNT=(\d+)$", env_example, re.MULTILINE).group(1)
    for name in APP_SERVICES:
        configured = compose["services"][name]["environment"]["TRUSTED_PROXY_COUNT"]
        default = re.fullmatch(r"\$\{TRUSTED_PROXY_COUNT:-(\d+)\}", configured).group(1)
        assert default == documented == "1", name
