"""Coupons in the back office (优惠券): operators create campaigns, make their codes, download them, see redemptions.

Operators only: the screens follow the model permissions on ``Coupon``, which only the Operators role holds
(``core.roles``); merchants, counter staff, editors and organisation members get neither the menu item nor the
pages, and the code download and the generate page answer 404 to them. A coupon is created with its codes (the
shared code the operator chooses, or a batch of single-use codes, ``orders.coupons.services``); more single-use
codes can be generated from its page, and every code downloaded as CSV (``core.spreadsheets``).
"""

from django import forms
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from core.money import format_fen
from core.spreadsheets import spreadsheet_response
from orders.coupons.forms import CouponForm
from orders.coupons.services import MAX_BATCH, CouponError, create_code, generate_codes
from orders.models import Coupon, CouponRedemption

VIEW_PERMISSION = "orders.view_coupon"
CHANGE_PERMISSION = "orders.change_coupon"


def discount_label(coupon: Coupon) -> str:
    if coupon.discount_kind == Coupon.DiscountKind.PERCENT:
        return f"{coupon.percent}%"
    return format_fen(coupon.amount)


class CouponCreateView(generic.CreateView):
    def save_instance(self):
        """The coupon, by whom, with its shared code or its batch of single-use codes, in one transaction."""
        with transaction.atomic():
            instance = self.form.save(commit=False)
            instance.created_by = self.request.user
            instance.save()
            self.form.save_m2m()
            if instance.kind == Coupon.Kind.SHARED:
                create_code(instance, self.form.cleaned_data["shared_code"])
            else:
                generate_codes(instance, self.form.cleaned_data["code_count"])
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except CouponError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)


class CouponInspectView(generic.InspectView):
    template_name = "orders/admin/coupon_inspect.html"
    codes_url_name = None
    generate_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        coupon = self.object
        context.update(
            code_count=coupon.codes.count(),
            shared_code=coupon.codes.first() if coupon.kind == Coupon.Kind.SHARED else None,
            redemption_count=coupon.redemptions.count(),
            redemptions=list(coupon.redemptions.select_related("code", "order").order_by("-created_at", "-pk")[:200]),
            codes_url=reverse(self.codes_url_name, args=[coupon.pk]),
            generate_url=reverse(self.generate_url_name, args=[coupon.pk])
            if coupon.kind == Coupon.Kind.SINGLE_USE
            else "",
        )
        return context


def _coupon_for(user, pk: int, permission: str) -> Coupon:
    """The coupon, for a user holding ``permission``; 404 for everyone else (they do not learn it exists)."""
    if not user.has_perm(permission):
        raise Http404
    return get_object_or_404(Coupon, pk=pk)


class CodesDownloadView(View):
    """Every code of a coupon, whether it was used and by which order, as CSV."""

    def get(self, request, pk: int):
        coupon = _coupon_for(request.user, pk, VIEW_PERMISSION)
        used = dict(CouponRedemption.objects.filter(coupon=coupon).values_list("code_id", "order__number"))
        rows = [
            [code.code, coupon.name, coupon.sponsor, discount_label(coupon), used.get(code.pk, "")]
            for code in coupon.codes.order_by("pk")
        ]
        header = [_("Code"), _("Coupon"), _("Sponsor"), _("Discount"), _("Used by order")]
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return spreadsheet_response(f"coupon-{coupon.pk}-codes-{stamp}", header, rows)


class GenerateForm(forms.Form):
    count = forms.IntegerField(label=gettext_lazy("Number of codes"), min_value=1, max_value=MAX_BATCH)


class GenerateCodesView(WagtailAdminTemplateMixin, FormView):
    """More single-use codes for a coupon."""

    form_class = GenerateForm
    template_name = "orders/admin/coupon_generate.html"
    header_icon = "tag"
    inspect_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.coupon = _coupon_for(request.user, kwargs["pk"], CHANGE_PERMISSION)
        if self.coupon.kind != Coupon.Kind.SINGLE_USE:
            raise Http404

    def get_page_title(self):
        return _("Generate codes: %(coupon)s") % {"coupon": self.coupon.name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(coupon=self.coupon, action_url=self.request.get_full_path(), **kwargs)

    def form_valid(self, form):
        with transaction.atomic():
            made = generate_codes(self.coupon, form.cleaned_data["count"])
        messages.success(self.request, _("%(count)d codes generated.") % {"count": len(made)})
        return redirect(reverse(self.inspect_url_name, args=[self.coupon.pk]))


class CouponViewSet(ModelViewSet):
    """Campaign coupons: operators create and edit them; codes are generated and downloaded from a coupon's page."""

    menu_name = "coupons"  # fixed: a name derived from the label would change with the language

    model = Coupon
    name = "coupon"
    url_prefix = "coupons"
    icon = "tag"
    add_to_admin_menu = True
    menu_label = gettext_lazy("Coupons")
    menu_order = 330
    inspect_view_enabled = True
    copy_view_enabled = False
    add_view_class = CouponCreateView
    inspect_view_class = CouponInspectView
    list_display = [
        "name",
        "sponsor",
        "kind",
        Column("discount", label=gettext_lazy("Discount"), accessor=discount_label),
        DateColumn("valid_until", label=gettext_lazy("Valid until")),
        BooleanColumn("is_active", label=gettext_lazy("Active")),
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "sponsor"]
    inspect_view_fields = [
        "name",
        "sponsor",
        "kind",
        "discount_kind",
        "amount",
        "percent",
        "min_spend",
        "valid_from",
        "valid_until",
        "eligibility",
        "total_limit",
        "per_customer_limit",
        "is_active",
        "created_by",
        "created_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("sponsor")]),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("shared_code"), FieldPanel("code_count")]),
            FieldRowPanel([FieldPanel("discount_kind"), FieldPanel("amount"), FieldPanel("percent")]),
            FieldPanel("min_spend"),
            FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
            MultiFieldPanel(
                [FieldPanel("eligibility"), FieldPanel("products")], heading=gettext_lazy("Eligible products")
            ),
            FieldRowPanel([FieldPanel("total_limit"), FieldPanel("per_customer_limit")]),
            FieldPanel("is_active"),
        ],
        base_form_class=CouponForm,
    )

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            codes_url_name=self.get_url_name("codes"), generate_url_name=self.get_url_name("generate"), **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("codes/<int:pk>/", self.construct_view(CodesDownloadView), name="codes"),
            path(
                "generate/<int:pk>/",
                self.construct_view(GenerateCodesView, inspect_url_name=self.get_url_name("inspect")),
                name="generate",
            ),
        ]
