"""Production settings on loopback for the benchmark: plain HTTP, no rate limits, the baseline URL added."""

from config.settings.production import *  # noqa: F403
from config.settings.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
CHECKOUT_RATE_LIMIT = "0"
LOGIN_RATE_LIMIT = "0"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
