"""The test suite: PostgreSQL only (DATABASE_URL), fast hashing, no external mail."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Connections close after each request or task, unless DB_CONN_MAX_AGE says otherwise (the real worker of
# the outbox integration tests keeps its connection, as in production).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
# Tasks run in-process, right after the transaction that queues them commits; the worker integration
# tests start a real `celery worker` with CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", True)
# Stripe: a test key and endpoint secret; tests that talk to localstripe point STRIPE_API_BASE at it.
STRIPE_SECRET_KEY = "sk_test_dexiu"  # noqa: S105
STRIPE_PUBLISHABLE_KEY = "pk_test_dexiu"
STRIPE_WEBHOOK_SECRET = "whsec_test_dexiu"  # noqa: S105

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "The test suite runs on PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/dexiu"
    )
# Pages are rendered afresh (tests change rows inside transactions that never commit); the page
# cache's own tests switch it on.
PAGE_CACHE_SECONDS = 0
FRAGMENT_CACHE_SECONDS = 0
# Static files straight from the apps: no collectstatic before a test run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
