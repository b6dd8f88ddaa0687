from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from storefront import (
    account_views,
    cart_views,
    checkout_views,
    institution_views,
    order_views,
    pack_views,
    payment_views,
    phone_views,
    views,
)

app_name = "storefront"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    # Product slugs may be Chinese (SlugField(allow_unicode=True)): letters, digits, _ and -.
    re_path(r"^products/(?P<slug>[-\w]+)/$", views.product_detail, name="product_detail"),
    path("certified/", views.certified_register, name="certified"),
    path("trace/<str:code>/", views.trace_batch, name="trace"),
    path("cart/", cart_views.cart_detail, name="cart"),
    path("cart/add/", cart_views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", cart_views.cart_update, name="cart_update"),
    path("cart/lines/<int:line_id>/remove/", cart_views.cart_remove, name="cart_remove"),
    path("cart/packs/add/", pack_views.cart_add_pack, name="cart_add_pack"),
    path("cart/packs/<int:line_id>/", pack_views.cart_pack_update, name="cart_pack_update"),
    path("cart/packs/<int:line_id>/remove/", pack_views.cart_pack_remove, name="cart_pack_remove"),
    path("packs/", pack_views.pack_list, name="pack_list"),
    path("packs/<slug:slug>/", pack_views.pack_detail, name="pack_detail"),
    path("checkout/", checkout_views.checkout, name="checkout"),
    path("orders/<str:token>/", order_views.order_status, name="order_status"),
    path("orders/<str:token>/cancel/", order_views.order_cancel, name="order_cancel"),
    path("orders/<str:token>/pay/", payment_views.order_pay, name="order_pay"),
    path("orders/<str:token>/pay/return/", payment_views.order_pay_return, name="order_pay_return"),
    path("orders/<str:token>/pay/demo/", payment_views.order_pay_demo, name="order_pay_demo"),
    path("account/register/", account_views.register, name="register"),
    path("account/login/", account_views.ShopLoginView.as_view(), name="login"),
    path("account/phone/", phone_views.phone_sign_in, name="phone_sign_in"),
    path("account/phone/code/", phone_views.phone_code, name="phone_code"),
    path("account/phone/resend/", phone_views.phone_resend, name="phone_resend"),
    path("account/mobile/", phone_views.account_mobile, name="account_mobile"),
    path("account/name/", phone_views.account_name, name="account_name"),
    path("account/logout/", account_views.ShopLogoutView.as_view(), name="logout"),
    path("account/orders/", account_views.order_history, name="order_history"),
    path("institutions/apply/", institution_views.apply, name="institution_apply"),
    path("institutions/", institution_views.applications, name="institution_applications"),
    path("account/password-reset/", account_views.ShopPasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        account_views.ShopPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
