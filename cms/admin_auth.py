"""Wagtail's admin log-in and password reset, behind the shop's rate limits (one budget per client and per
account, shared with the shop's forms), and a log-in that admits only accounts that may use the admin."""

from django.utils.decorators import method_decorator
from wagtail.admin.views import account

from storefront.ratelimit import limit_posts


class AdminAccessRequiredMixin:
    """A login form that refuses accounts without ``wagtailadmin.access_admin`` (customers) with the same
    message as a wrong password, before any session is made."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.has_perm("wagtailadmin.access_admin"):
            raise self.get_invalid_login_error()


@method_decorator(limit_posts("login", "LOGIN_RATE_LIMIT", account_field="username", fail_closed=True), name="dispatch")
class AdminLoginView(account.LoginView):
    def get_form_class(self) -> type:
        form_class = super().get_form_class()
        return type(f"AdminOnly{form_class.__name__}", (AdminAccessRequiredMixin, form_class), {})


@method_decorator(limit_posts("password-reset", "PASSWORD_RESET_RATE_LIMIT", account_field="email"), name="dispatch")
class AdminPasswordResetView(account.PasswordResetView):
    pass
