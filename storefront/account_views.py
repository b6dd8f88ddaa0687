"""Customer accounts: register, log in (the guest cart joins the account), log out, password reset by
e-mail, and the order history. Log-in, registration and reset POSTs are rate-limited (storefront/ratelimit.py);
the admin's log-in and reset share the same budgets (cms/admin_auth.py). Signing in by mobile number with an SMS
code, rate-limited as well, is ``storefront.phone_views``."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from orders.selectors import customer_orders
from storefront.cart import adopt_guest_cart
from storefront.cart_views import safe_next
from storefront.forms import RegistrationForm
from storefront.phone_forms import PhoneForm
from storefront.phone_sign_in import display_mobile, verified_mobile
from storefront.ratelimit import limit_posts

ORDERS_PER_PAGE = 20


class StackedLabels:
    """Labels stand above their fields, as in every shop form: no colon after them (Django would add ":")."""

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "label_suffix": ""}


@method_decorator(limit_posts("login", "LOGIN_RATE_LIMIT", account_field="username", fail_closed=True), name="dispatch")
class ShopLoginView(StackedLabels, auth_views.LoginView):
    template_name = "registration/login.html"
    next_page = reverse_lazy("storefront:order_history")

    def get_context_data(self, **kwargs) -> dict:
        """Signing in by mobile number comes first (``storefront.phone_views``); the password form below it."""
        return {"phone_form": PhoneForm(), **super().get_context_data(**kwargs)}

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("You are logged in."))
        return adopt_guest_cart(self.request, response, form.get_user())


class ShopLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("storefront:product_list")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts("registration", "REGISTRATION_RATE_LIMIT")
def register(request: HttpRequest) -> HttpResponse:
    """Create a customer account and sign in with it; a guest cart comes along."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account has been created."))
        response = HttpResponseRedirect(safe_next(request, reverse("storefront:order_history")))
        return adopt_guest_cart(request, response, user)
    return render(request, "registration/register.html", {"form": form, "next": safe_next(request, "")})


@method_decorator(limit_posts("password-reset", "PASSWORD_RESET_RATE_LIMIT", account_field="email"), name="dispatch")
class ShopPasswordResetView(StackedLabels, auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("storefront:password_reset_done")


class ShopPasswordResetConfirmView(StackedLabels, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("storefront:password_reset_complete")


@require_safe
@login_required(login_url="storefront:login")
def order_history(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's own orders, newest first, under their name and verified mobile number."""
    page = Paginator(customer_orders(request.user), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    mobile = verified_mobile(request.user)
    context = {"page_obj": page, "orders": page.object_list, "mobile": display_mobile(mobile) if mobile else ""}
    return render(request, "storefront/order_history.html", context)
