from django.urls import path

from storefront import views

app_name = "storefront"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<str:slug>/", views.product_detail, name="product_detail"),
]
