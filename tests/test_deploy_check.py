"""Production settings pass Django's deployment checklist and behave as a deployment expects:
HTTPS enforced with HSTS, while the health probes still answer over plain HTTP; text messages go through a
real provider, never only to the log."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from worker.sms import TEMPLATES as SMS_TEMPLATES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_env(django_db_setup) -> dict[str, str]:
    """The environment of a production process pointed at the test database."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DEBUG", "SECRET_KEY", "SMS_"))
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="shop.dexiu.example,localhost",
        CSRF_TRUSTED_ORIGINS="https://shop.dexiu.example",
        DATABASE_URL=f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        # Tencent Cloud SMS, configured (nothing is sent: these checks send no message).
        SMS_TENCENT_SECRET_ID="AKID" + secrets.token_hex(16),
        SMS_TENCENT_SECRET_KEY=secrets.token_hex(16),
        SMS_TENCENT_APP_ID="1400000001",
        SMS_TENCENT_SIGN_NAME="德秀集市",
        SMS_TENCENT_TEMPLATES=",".join(f"{name}={n}" for n, name in enumerate(sorted(SMS_TEMPLATES), 2100001)),
    )
    return environ


def check_deploy(environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_reports_nothing(production_env):
    result = check_deploy(production_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "sms",
    [{"SMS_BACKEND": "console"}, {"SMS_TENCENT_SECRET_ID": "", "SMS_TENCENT_SECRET_KEY": ""}],
    ids=["console-chosen", "no-provider-keys"],
)
def test_check_deploy_refuses_text_messages_to_the_log_only(production_env, sms):
    """With DEBUG off, the console backend (chosen, or what you get without provider keys) is refused."""
    result = check_deploy({**production_env, **sms})

    assert result.returncode != 0
    assert "(sms.E002) Text messages go to the log only" in result.stderr


def test_check_deploy_names_sms_templates_without_a_provider_id(production_env):
    templates = production_env["SMS_TENCENT_TEMPLATES"].split(",")
    result = check_deploy({**production_env, "SMS_TENCENT_TEMPLATES": ",".join(templates[1:])})

    assert result.returncode != 0
    assert f"(sms.W001) SMS templates without a Tencent Cloud template id: {templates[0].partition('=')[0]};" in (
        result.stderr
    )


PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client()
def get(path, **extra):
    response = client.get(path, HTTP_HOST="shop.dexiu.example", **extra)
    return {"status": response.status_code, "location": response.get("Location", ""),
            "hsts": response.get("Strict-Transport-Security", ""), "frame": response.get("X-Frame-Options", "")}
print(json.dumps({
    "healthz": get("/healthz"),
    "readyz": get("/readyz"),
    "page": get("/products/"),
    "secure": get("/healthz", secure=True),
}))
"""


def test_production_forces_https_except_for_the_probes(production_env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=180
    )

    assert result.returncode == 0, result.stderr
    responses = json.loads(result.stdout)
    assert responses["healthz"]["status"] == 200
    assert responses["readyz"]["status"] == 200
    assert responses["page"]["status"] == 301
    assert responses["page"]["location"] == "https://shop.dexiu.example/products/"
    assert responses["secure"]["hsts"].startswith("max-age=31536000")
    assert responses["secure"]["frame"] == "DENY"
