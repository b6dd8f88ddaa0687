"""The site's URLs plus the baseline: a bare Django view rendering a template of similar size."""

from django.urls import path

from bench.views import baseline
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline"), *site_urlpatterns]
