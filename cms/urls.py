from django.urls import path, re_path

from cms import views

app_name = "cms"

urlpatterns = [
    path("search/", views.search, name="search"),
    # Merchant slugs may be Chinese (SlugField(allow_unicode=True)): letters, digits, _ and -.
    re_path(r"^merchants/(?P<slug>[-\w]+)/$", views.merchant, name="merchant"),
    # The address merchant pages had before they were called merchants: old links keep working.
    re_path(r"^producers/(?P<slug>[-\w]+)/$", views.merchant_moved, name="merchant_moved"),
]
