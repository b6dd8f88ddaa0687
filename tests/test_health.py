"""Liveness (/healthz) and readiness (/readyz) probes, as a load balancer or compose sees them."""

import pytest
from django.db import OperationalError
from django.test import override_settings

from config import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_as_json(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_readyz_checks_database_and_redis(client, settings):
    assert settings.REDIS_URL, "the suite runs with REDIS_URL set (make test sets it)"

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@override_settings(REDIS_URL="")
def test_readyz_without_redis_checks_only_the_database(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_reports_unavailable_when_redis_is_down(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down: ")


@override_settings(REDIS_URL="")
def test_readyz_reports_unavailable_when_the_database_fails(client, monkeypatch):
    def broken() -> str:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_check_database", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "down: OperationalError"}}
