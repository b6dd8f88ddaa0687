from django.urls import path, re_path

from cms import views

app_name = "cms"

urlpatterns = [
    path("search/", views.search, name="search"),
    # Producer slugs may be Chinese (SlugField(allow_unicode=True)): letters, digits, _ and -.
    re_path(r"^producers/(?P<slug>[-\w]+)/$", views.producer, name="producer"),
]
