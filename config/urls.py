from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.http import Http404
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.decorators.cache import cache_control
from django.views.defaults import page_not_found
from django.views.generic import RedirectView
from django.views.i18n import set_language
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from catalog.backoffice import reports
from cms.admin_auth import AdminLoginView, AdminPasswordResetView
from cms.sitemaps import SITEMAPS
from cms.views import robots_txt
from config import health
from core.reports import urlpatterns as page_reports
from orders.payments.views import stripe_webhook
from orders.payments.views_alipay import alipay_notify
from orders.payments.views_wechat import wechat_oauth_callback, wechatpay_notify

# A database that is down or too slow answers 503 "busy" instead of the 500 page (config/errors.py).
handler500 = "config.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    path("payments/wechat/notify/", wechatpay_notify, name="wechatpay_notify"),
    path("payments/wechat/oauth/", wechat_oauth_callback, name="wechat_oauth_callback"),
    path("payments/alipay/notify/", alipay_notify, name="alipay_notify"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
    # Browsers and tools that read no <head> ask for /favicon.ico: the static icon (hashed name in production).
    path(
        "favicon.ico",
        cache_control(public=True, max_age=86400)(
            RedirectView.as_view(url=lazy(static, str)("storefront/icons/favicon.ico"))
        ),
        name="favicon",
    ),
    path("admin/reports/site-history/", reports.site_history),
    path("admin/reports/site-history/results/", reports.site_history_results),
    path("admin/reports/", include(page_reports)),
    # Wagtail's own log-in and reset views, rate-limited and admitting only admin users (cms/admin_auth.py).
    path("admin/login/", AdminLoginView.as_view(), name="wagtailadmin_login"),
    path("admin/password_reset/", AdminPasswordResetView.as_view(), name="wagtailadmin_password_reset"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

# With DEBUG on, Django answers a missing page with its technical page; /404/ shows the shoppers' page
# (make run, the browser tests), as Django's docs suggest for checking error pages.
debug_pages = [path("404/", page_not_found, {"exception": Http404()})] if settings.DEBUG else []

urlpatterns += i18n_patterns(
    *debug_pages,
    path("", include("storefront.urls")),
    path("", include("cms.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
