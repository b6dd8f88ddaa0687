from django.urls import path, re_path

from storefront import views

app_name = "storefront"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    # Product slugs may be Chinese (SlugField(allow_unicode=True)): letters, digits, _ and -.
    re_path(r"^products/(?P<slug>[-\w]+)/$", views.product_detail, name="product_detail"),
]
