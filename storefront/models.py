"""What operators may change about the shop's pages without a release: the delivery promise; and shoppers'
verified mobile numbers with the SMS codes that sign them in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

# The promise as the shop starts (catalogue data, in each language; operators change it in the admin).
DEFAULT_DELIVERY_PROMISE = "下单后 48 小时内发货"
DEFAULT_DELIVERY_PROMISE_EN = "Ships within 48 hours of your order"


@register_setting(icon="time", name="product-page-settings")
class StorefrontSettings(BaseGenericSetting):
    """The delivery promise every product page shows beside its buy buttons, in Chinese and English."""

    delivery_promise = models.CharField(
        _("delivery promise (Chinese)"),
        max_length=80,
        blank=True,
        default=DEFAULT_DELIVERY_PROMISE,
        help_text=_("Shown on every product page beside the buy buttons. Leave empty to show no promise."),
    )
    delivery_promise_en = models.CharField(
        _("delivery promise (English)"),
        max_length=80,
        blank=True,
        default=DEFAULT_DELIVERY_PROMISE_EN,
        help_text=_("Shown on the English pages; when empty they show the Chinese promise."),
    )

    panels = [FieldPanel("delivery_promise"), FieldPanel("delivery_promise_en")]

    class Meta:
        verbose_name = _("product page settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# --- Sign-in by mobile number (storefront/phone_sign_in.py) ----------------------------------------------


class ShopperProfile(models.Model):
    """What a shopper's account holds beyond Django's user: the mobile number they proved is theirs with a code.

    Only verified numbers are stored, each on one account at most; signing in by SMS code finds the account here.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shopper_profile", verbose_name=_("user")
    )
    mobile = models.CharField(_("verified mobile number"), max_length=11, blank=True)
    mobile_verified_at = models.DateTimeField(_("mobile verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shopper profile")
        verbose_name_plural = _("shopper profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["mobile"], condition=~models.Q(mobile=""), name="storefront_one_account_per_verified_mobile"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class SignInCode(models.Model):
    """A 6-digit code sent by SMS to a mobile number: to sign in (an account is made for a new number) or to add
    the number to the signed-in ``user``'s account. Only its salted HMAC is kept; it is used once, within its
    lifetime, and void after too many wrong tries. A newer code for the number replaces it."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("sign in")
        ADD_MOBILE = "add_mobile", _("add a mobile number")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        USED = "used", _("used")
        VOID = "void", _("void: too many wrong tries")
        REPLACED = "replaced", _("replaced by a newer code")

    phone = models.CharField(_("mobile number"), max_length=11)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account adding the number"),
    )
    code_hash = models.CharField(_("code (salted HMAC)"), max_length=128)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["phone", "-created_at"], name="storefront_code_phone_newest")]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.get_purpose_display()} ({self.get_status_display()})"
