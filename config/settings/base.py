"""Settings shared by every environment; values come from the environment."""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _name_to_id(variable: str, items: list[str]) -> dict[str, str]:
    """``["order_paid=1234", ...]`` → ``{"order_paid": "1234", ...}``; anything else stops the start."""
    pairs = {}
    for item in items:
        name, _sep, value = (part.strip() for part in item.partition("="))
        if not name or not value:
            raise ImproperlyConfigured(f"{variable} must be name=id pairs separated by commas, got {item!r}")
        pairs[name] = value
    return pairs


SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core",
    "catalog",
    "orders",
    "cms",
    "storefront",
    "worker",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.sitemaps",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Outside the page cache, so a cached page gets the same frame header as a fresh one.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storefront.page_cache.PageCacheMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "cms.routes.RouteMemoMiddleware",
    # Last: it calls the page create and edit views itself, in one transaction (cms.page_writes).
    "cms.page_writes.PageFormTransactionMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "storefront.context_processors.cart",
            ],
        },
    },
]

# Databases: DATABASE_URL, SQLite file by default (make run only).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
# A database that stops answering fails a request in seconds, well inside gunicorn's 30 s (0 = no limit).
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3)
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    if DB_CONNECT_TIMEOUT:
        _db_options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    if DB_STATEMENT_TIMEOUT:
        _statement = f"-c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}"
        _db_options["options"] = f"{_db_options.get('options', '')} {_statement}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache and Celery broker when REDIS_URL is set; in-process otherwise. With Redis away the cache
# reads miss and writes are dropped (core/cache.py), after at most CACHE_SOCKET_TIMEOUT seconds, and
# Redis is left alone for CACHE_RETRY_AFTER seconds before the next try.
REDIS_URL = env_str("REDIS_URL")
CACHE_SOCKET_TIMEOUT = float(env_str("CACHE_SOCKET_TIMEOUT", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dexiu"),
            "TIMEOUT": 300,
            "OPTIONS": {
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
                "socket_timeout": CACHE_SOCKET_TIMEOUT,
                "RETRY_AFTER": float(env_str("CACHE_RETRY_AFTER", "5")),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late, a worker holds one unacknowledged task at a time
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
# Celery closes the database connection before and after every task unless told to reuse it; a worker keeps
# its connection for this many tasks instead, and Django's own rule (DB_CONN_MAX_AGE, a health check, an
# unusable connection dropped) applies around each task (worker.connections). 0 = a new connection per task.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Publishing gives up quickly when the broker is down: the outbox row waits for the sweeper.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "worker.sweep_outbox", "schedule": env_int("OUTBOX_SWEEP_SECONDS", 30)},
    "sweep-stripe-events": {"task": "worker.sweep_stripe_events", "schedule": 60},
    "sweep-provider-events": {"task": "worker.sweep_provider_events", "schedule": 60},
    "expire-overdue-orders": {"task": "worker.expire_overdue_orders", "schedule": 60},
    "expire-overdue-bulk-orders": {"task": "orders.expire_overdue_bulk_orders", "schedule": 60},
    "refund-pending-presales": {"task": "orders.refund_pending_presales", "schedule": 600},
    "resume-bulk-placements": {"task": "orders.resume_bulk_placements", "schedule": 120},
    "sweep-stock-alerts": {"task": "catalog.sweep_stock_alerts", "schedule": 600},
    "reconcile-payments": {"task": "worker.reconcile_payments", "schedule": 600},
    "share-profits": {"task": "orders.share_profits", "schedule": 3600},
    "send-counter-digests": {"task": "worker.send_counter_digests", "schedule": 300},
    "check-low-stock": {"task": "worker.check_low_stock", "schedule": 24 * 3600},
    "check-certificates": {"task": "worker.check_certificates", "schedule": 3600},
    # Product cards are kept per day: render the new day's before the first shoppers ask for them.
    "warm-cards": {"task": "storefront.warm_cards", "schedule": crontab(hour=0, minute=1)},
    "presale-edges": {"task": "storefront.presale_edges", "schedule": 60},
    "delete-old-sign-in-codes": {"task": "storefront.delete_old_sign_in_codes", "schedule": crontab(hour=4, minute=7)},
}

# The notification outbox (worker/): webhook timeout, retries with exponential backoff, abandoned deliveries.
OUTBOX_WEBHOOK_TIMEOUT = float(env_str("OUTBOX_WEBHOOK_TIMEOUT", "10"))
OUTBOX_BACKOFF_SECONDS = float(env_str("OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_BACKOFF_MAX_SECONDS = float(env_str("OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
# A row 'sending' for longer than a task may run belongs to a worker that died: deliver it again.
OUTBOX_STUCK_SECONDS = env_int("OUTBOX_STUCK_SECONDS", CELERY_TASK_TIME_LIMIT + 30)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# Chinese first, English second. LANGUAGE_CODE must be set before the first
# migrate: Wagtail creates its first Locale from it.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# locale/: the project's strings (make messages extracts them; it writes to the first path only).
# locale_wagtail/: Wagtail's back-office strings its own zh_Hans catalogue lacks or words badly
# (kept by hand). A path listed earlier wins, and any of them wins over an app's own catalogue.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_wagtail"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise knows no ".webmanifest": the web app manifest (storefront/static/storefront/icons) gets its own type.
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files never served as media (certificate evidence, organisation proofs): served only through checked views.
# Empty: ``<MEDIA_ROOT>-private`` beside the media folder (catalog.models.PrivateMediaStorage).
PRIVATE_MEDIA_ROOT = env_str("PRIVATE_MEDIA_ROOT")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "德秀集市 <noreply@dexiu.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text messages to shoppers' mobiles (worker/sms.py): "tencent" (Tencent Cloud SMS) or "console" (the log;
# what you get without provider keys, refused by `check --deploy` with DEBUG off).
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY")
SMS_BACKEND = env_str("SMS_BACKEND") or ("tencent" if SMS_TENCENT_SECRET_ID else "console")
SMS_TENCENT_APP_ID = env_str("SMS_TENCENT_APP_ID")  # the SMS application's SdkAppId
SMS_TENCENT_SIGN_NAME = env_str("SMS_TENCENT_SIGN_NAME")  # the approved signature, e.g. 德秀集市
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
# A host (HTTPS) or a URL; tests point it at a local fake over http.
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
# Our template names → the provider's approved template ids: "order_paid=1234,pickup_ready=5678,...".
SMS_TENCENT_TEMPLATES = _name_to_id("SMS_TENCENT_TEMPLATES", env_list("SMS_TENCENT_TEMPLATES"))
SMS_TIMEOUT = float(env_str("SMS_TIMEOUT", "10"))
# The console backend's texts reach the terminal (`make run`: where a developer reads a sign-in code).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"worker.sms": {"handlers": ["console"], "level": "INFO"}},
}

# Stripe payments. Without STRIPE_SECRET_KEY and with DEBUG on, a demo payment button stands in.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Where the SDK sends API calls (empty: Stripe's own), and Stripe.js for the pay page.
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", "card,alipay,wechat_pay")
# Optional PaymentIntent parameters not to send (only for a test peer that refuses them, e.g. localstripe).
STRIPE_OMIT_PARAMS = env_list("STRIPE_OMIT_PARAMS")
# Oldest webhook signature timestamp accepted, in seconds.
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)

# WeChat Pay direct (API v3, WeChat Pay public key mode): offered when every key below is set. The merchant key is
# PKCS#8 PEM ("BEGIN PRIVATE KEY"); the public key is WeChat Pay's (PEM) with its id (PUB_KEY_ID_...).
WECHATPAY_MCHID = env_str("WECHATPAY_MCHID")
WECHATPAY_APPID = env_str("WECHATPAY_APPID")
WECHATPAY_CERT_SERIAL_NO = env_str("WECHATPAY_CERT_SERIAL_NO")
WECHATPAY_PRIVATE_KEY = env_str("WECHATPAY_PRIVATE_KEY")
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY")
WECHATPAY_PUBLIC_KEY = env_str("WECHATPAY_PUBLIC_KEY")
WECHATPAY_PUBLIC_KEY_ID = env_str("WECHATPAY_PUBLIC_KEY_ID")
WECHATPAY_API_BASE = env_str("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com")
# The public https address of /payments/wechat/notify/ (empty: WAGTAILADMIN_BASE_URL's, when that is https).
WECHATPAY_NOTIFY_URL = env_str("WECHATPAY_NOTIFY_URL")
# Split settlement (WeChat Pay profit sharing, orders/payments/profit_sharing.py): off unless profit sharing is enabled
# in the merchant platform and each merchant's receiver added there. A payment is shared this many days after it
# succeeded (its refund window), well within WeChat Pay's freeze period.
PROFIT_SHARING_ENABLED = env_bool("PROFIT_SHARING_ENABLED", False)
PROFIT_SHARING_AFTER_DAYS = env_int("PROFIT_SHARING_AFTER_DAYS", 7)
# JSAPI inside WeChat (the in-app payment sheet): offered when the official account's (服务号) secret is set too; its
# AppID (empty: WECHATPAY_APPID's) must be bound to the merchant. The shopper's openid comes from its web OAuth
# (snsapi_base). WECHAT_OAUTH_BASE serves both the authorize page and the code exchange (tests point it at a local
# fake); empty: https://open.weixin.qq.com and https://api.weixin.qq.com.
WECHATPAY_OAUTH_APPID = env_str("WECHATPAY_OAUTH_APPID")
WECHATPAY_OAUTH_SECRET = env_str("WECHATPAY_OAUTH_SECRET")
WECHAT_OAUTH_BASE = env_str("WECHAT_OAUTH_BASE")

# Alipay direct (open platform, RSA2): offered when the app id, both keys and a notify address are set. Keys as PEM,
# or the bare base64 Alipay's console shows (the PEM armour is added); line breaks may be written "\n".
ALIPAY_APP_ID = env_str("ALIPAY_APP_ID")
ALIPAY_APP_PRIVATE_KEY = env_str("ALIPAY_APP_PRIVATE_KEY")  # our app's private key (PKCS#1 or PKCS#8)
ALIPAY_PUBLIC_KEY = env_str("ALIPAY_PUBLIC_KEY")  # Alipay's public key (支付宝公钥), not the app's
ALIPAY_GATEWAY = env_str("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
# The merchant's partner id (2088...): when set, notifications of another seller are refused.
ALIPAY_SELLER_ID = env_str("ALIPAY_SELLER_ID")
# The public https address of /payments/alipay/notify/ (empty: WAGTAILADMIN_BASE_URL's, when that is https).
ALIPAY_NOTIFY_URL = env_str("ALIPAY_NOTIFY_URL")

# Wagtail
WAGTAIL_SITE_NAME = "德秀集市"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
# Upload limits for every image form (cms/images.py): 10 MB, and 40 million pixels, well below the
# point where Pillow warns of a decompression bomb (89 million).
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.images.ImageForm"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = env_int("WAGTAILIMAGES_MAX_IMAGE_PIXELS", 40_000_000)
WAGTAILDOCS_EXTENSIONS = ["pdf", "csv", "xlsx"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no external images in the admin (core/csp.py)
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]

# Catalogue
CATALOG_PAGE_SIZE = env_int("CATALOG_PAGE_SIZE", 24)
# Whole public pages for anonymous visitors, in the cache (storefront/page_cache.py); 0 turns it off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
# Product cards and product pages' parts, kept until the product changes (storefront/cards.py,
# storefront/product_page.py); 0: off.
FRAGMENT_CACHE_SECONDS = env_int("FRAGMENT_CACHE_SECONDS", 24 * 3600)
CATALOG_LOW_STOCK_LEVEL = env_int("CATALOG_LOW_STOCK_LEVEL", 5)

SITE_TITLE = _("Dexiu Market")

# Serve uploaded media from Django (development and a single-host compose setup).
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)

# Orders: how long an unpaid order holds its stock, and the most of one item per cart line.
ORDER_RESERVATION_MINUTES = env_int("ORDER_RESERVATION_MINUTES", 30)
CART_MAX_LINE_QUANTITY = env_int("CART_MAX_LINE_QUANTITY", 99)

# Bulk orders of organisations: hours their units stay held (through approval and a bank transfer), and the
# account a transfer goes to (shown on the bulk order with its reference).
BULK_ORDER_RESERVATION_HOURS = env_int("BULK_ORDER_RESERVATION_HOURS", 120)
# A submitted bulk order with at most this many parcels is placed in the request; a longer one by the worker.
BULK_ORDER_INLINE_PARCELS = env_int("BULK_ORDER_INLINE_PARCELS", 50)
BANK_TRANSFER_PAYEE = env_str("BANK_TRANSFER_PAYEE", "")
BANK_TRANSFER_BANK = env_str("BANK_TRANSFER_BANK", "")
BANK_TRANSFER_ACCOUNT = env_str("BANK_TRANSFER_ACCOUNT", "")

# Counter hand-over: after this many wrong pickup codes in a row, the fulfilment is locked for a while.
COUNTER_HANDOVER_MAX_FAILURES = env_int("COUNTER_HANDOVER_MAX_FAILURES", 5)
COUNTER_HANDOVER_LOCK_MINUTES = env_int("COUNTER_HANDOVER_LOCK_MINUTES", 15)

# Abuse limits: POSTs per client and time window ("<count>/<s|m|h|d>"; "0" turns a limit off).
CHECKOUT_RATE_LIMIT = env_str("CHECKOUT_RATE_LIMIT", "10/m")
LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "5/m")  # shop and admin log-in, per client and per user name
PASSWORD_RESET_RATE_LIMIT = env_str("PASSWORD_RESET_RATE_LIMIT", "5/h")  # shop and admin, per client and per e-mail
REGISTRATION_RATE_LIMIT = env_str("REGISTRATION_RATE_LIMIT", "5/h")
CONTACT_RATE_LIMIT = env_str("CONTACT_RATE_LIMIT", "5/h")
INSTITUTION_APPLY_RATE_LIMIT = env_str("INSTITUTION_APPLY_RATE_LIMIT", "5/h")  # organisation applications
STOCK_ALERT_RATE_LIMIT = env_str("STOCK_ALERT_RATE_LIMIT", "10/h")  # back-in-stock alert sign-ups, per client
# Sign-in by mobile number (storefront/phone_sign_in.py): a 6-digit code by SMS, valid PHONE_CODE_MINUTES (5-10),
# void after PHONE_CODE_MAX_ATTEMPTS wrong tries, at most one per number every PHONE_CODE_RESEND_SECONDS. Codes sent
# are limited per number and per client address, codes entered per client and per number; all fail closed.
PHONE_CODE_MINUTES = env_int("PHONE_CODE_MINUTES", 10)
PHONE_CODE_MAX_ATTEMPTS = env_int("PHONE_CODE_MAX_ATTEMPTS", 5)
PHONE_CODE_RESEND_SECONDS = env_int("PHONE_CODE_RESEND_SECONDS", 60)
PHONE_CODE_SEND_RATE_LIMIT = env_str("PHONE_CODE_SEND_RATE_LIMIT", "5/h")
PHONE_CODE_SEND_CLIENT_RATE_LIMIT = env_str("PHONE_CODE_SEND_CLIENT_RATE_LIMIT", "20/h")
PHONE_CODE_VERIFY_RATE_LIMIT = env_str("PHONE_CODE_VERIFY_RATE_LIMIT", "10/m")
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
