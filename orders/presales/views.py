"""Pre-sales in the back office (预售): merchants open and change their own, operators any; the harvest is
received here, after a preview of what a shortfall would refund.

Scope: operators (``catalog.access_all_merchants``) see every pre-sale; a merchant's members see their
merchants' only (``presales_for_user``), and any other pre-sale's URL answers 404. Only operators choose the
shortfall policy (a merchant's pre-sale starts with "latest orders first"). Staff type prices in yuan.
"""

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateInput, AdminDateTimeInput

from catalog.models import Location, PreSale, Stock
from catalog.presales import PreSaleError, open_presale, presale_left, update_presale
from catalog.selectors import member_merchant_ids, sees_all_merchants, variants_for_user
from core.money import YuanField
from orders.presales.services import pending_refunds, receive_harvest, shortfall_plan


def can_use_presales(user) -> bool:
    return bool(user.is_authenticated and (sees_all_merchants(user) or member_merchant_ids(user)))


def presales_for_user(user):
    """Pre-sales the user may see and change: all for operators, their merchants' for merchant members."""
    presales = PreSale.objects.select_related("variant__product__merchant", "location", "source_variant")
    if sees_all_merchants(user):
        return presales
    return presales.filter(variant__product__merchant_id__in=member_merchant_ids(user))


class PreSaleMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return can_use_presales(request.user)


class PreSaleAccessMixin:
    """Refuse users who are neither operators nor merchant members (404), and a pre-sale outside their scope."""

    presale: PreSale | None = None

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not can_use_presales(request.user):
            raise Http404
        if "pk" in kwargs:
            self.presale = get_object_or_404(presales_for_user(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


PRESALE_FIELDS = ("planned_quantity", "price", "opens_at", "closes_at", "ships_from", "ships_until")


class PreSaleForm(forms.Form):
    source_variant = forms.ModelChoiceField(label=gettext_lazy("Variant pre-sold"), queryset=None)
    location = forms.ModelChoiceField(
        label=gettext_lazy("Harvest arrives at"),
        queryset=Location.objects.filter(is_active=True),
        help_text=gettext_lazy("The warehouse or counter it is shipped or picked up from."),
    )
    planned_quantity = forms.IntegerField(label=gettext_lazy("Planned quantity"), min_value=1)
    price = YuanField(label=gettext_lazy("Pre-sale price (yuan)"), min_fen=1)
    opens_at = forms.DateTimeField(label=gettext_lazy("Orders from"), widget=AdminDateTimeInput)
    closes_at = forms.DateTimeField(label=gettext_lazy("Orders until"), widget=AdminDateTimeInput)
    ships_from = forms.DateField(label=gettext_lazy("Ships or picked up from"), widget=AdminDateInput)
    ships_until = forms.DateField(label=gettext_lazy("Ships or picked up until"), widget=AdminDateInput)
    shortfall_policy = forms.ChoiceField(
        label=gettext_lazy("Shortfall refunds"), choices=PreSale.ShortfallPolicy.choices, required=False
    )

    def __init__(self, *args, user, presale: PreSale | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_variant"].queryset = (
            variants_for_user(user)
            .filter(is_active=True, presale__isnull=True)
            .select_related("product")
            .order_by("product__name", "sort_order")
        )
        if presale is not None:  # what was chosen at opening stays
            del self.fields["source_variant"], self.fields["location"]
        if not sees_all_merchants(user):
            del self.fields["shortfall_policy"]  # the operators' choice


class PreSaleIndexView(PreSaleAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "orders/presales/index.html"
    page_title = gettext_lazy("Pre-sales")
    header_icon = "date"

    def get_context_data(self, **kwargs) -> dict:
        presales = list(presales_for_user(self.request.user).order_by("-opens_at", "-pk")[:200])
        stocks = {
            (s.variant_id, s.location_id): s
            for s in Stock.objects.filter(variant_id__in=[p.variant_id for p in presales])
        }
        for presale in presales:
            stock = stocks.get((presale.variant_id, presale.location_id))
            presale.left = max(stock.on_hand - stock.allocated, 0) if stock and not presale.is_closed() else 0
        return super().get_context_data(presales=presales, **kwargs)


class PreSaleFormView(PreSaleAccessMixin, WagtailAdminTemplateMixin, FormView):
    form_class = PreSaleForm
    template_name = "orders/presales/form.html"
    header_icon = "date"

    def get_page_title(self) -> str:
        return _("Change pre-sale: %(name)s") % {"name": self.presale} if self.presale else _("Open a pre-sale")

    def get_form_kwargs(self) -> dict:
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, presale=self.presale)
        if self.presale is not None:
            p = self.presale
            kwargs["initial"] = {
                "planned_quantity": p.planned_quantity,
                "price": p.variant.price,
                "opens_at": p.opens_at,
                "closes_at": p.closes_at,
                "ships_from": p.ships_from,
                "ships_until": p.ships_until,
                "shortfall_policy": p.shortfall_policy,
            }
        return kwargs

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(action_url=self.request.get_full_path(), presale=self.presale, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        data = form.cleaned_data
        fields = {name: data[name] for name in PRESALE_FIELDS}
        if data.get("shortfall_policy"):
            fields["shortfall_policy"] = data["shortfall_policy"]
        try:
            if self.presale is None:
                presale = open_presale(
                    source_variant=data["source_variant"],
                    location=data["location"],
                    actor=self.request.user,
                    **fields,
                )
            else:
                presale = update_presale(self.presale, actor=self.request.user, **fields)
        except PreSaleError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Pre-sale saved: %(name)s") % {"name": presale})
        return redirect("presales:index")


class HarvestForm(forms.Form):
    quantity = forms.IntegerField(label=gettext_lazy("Quantity harvested"), min_value=0)
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the refunds above"),
        required=False,
        help_text=gettext_lazy("Leave unticked to see what would be refunded first."),
    )


class HarvestView(PreSaleAccessMixin, WagtailAdminTemplateMixin, FormView):
    """Receive the harvest: first a preview of the orders and units a shortfall refunds, then, confirmed, do it."""

    form_class = HarvestForm
    template_name = "orders/presales/harvest.html"
    header_icon = "date"
    plan = None

    def get_page_title(self) -> str:
        return _("Receive the harvest: %(name)s") % {"name": self.presale}

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            action_url=self.request.get_full_path(),
            presale=self.presale,
            left=presale_left(self.presale),
            plan=self.plan,
            **kwargs,
        )

    def form_valid(self, form) -> HttpResponse:
        quantity = form.cleaned_data["quantity"]
        if self.presale.status != PreSale.Status.OPEN:
            form.add_error(None, _("The harvest of this pre-sale has been received already."))
            return self.form_invalid(form)
        if not form.cleaned_data["confirm"]:
            self.plan = shortfall_plan(self.presale, quantity)
            return self.render_to_response(self.get_context_data(form=form))
        try:
            plan = receive_harvest(self.presale, quantity, actor=self.request.user)
        except PreSaleError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        refunded = plan.refunded_units if plan else 0
        messages.success(
            self.request,
            _("Harvest received: %(quantity)d units; %(refunded)d units refunded.")
            % {"quantity": quantity, "refunded": refunded},
        )
        waiting = pending_refunds(self.presale)
        if waiting:
            messages.warning(
                self.request,
                ngettext(
                    "%(count)d refund could not be made now: the payment provider refused it or could not be "
                    "reached. It is asked again every 10 minutes.",
                    "%(count)d refunds could not be made now: the payment provider refused them or could not be "
                    "reached. They are asked again every 10 minutes.",
                    waiting,
                )
                % {"count": waiting},
            )
        return redirect("presales:index")


class PreSaleViewSet(ViewSet):
    """The "Pre-sales" menu: merchants' members and operators."""

    menu_name = "presales"  # fixed: a name derived from the label would change with the language

    name = "presales"
    icon = "date"
    menu_label = gettext_lazy("Pre-sales")
    menu_order = 335
    add_to_admin_menu = True
    menu_item_class = PreSaleMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", PreSaleIndexView.as_view(), name="index"),
            path("new/", PreSaleFormView.as_view(), name="add"),
            path("<int:pk>/", PreSaleFormView.as_view(), name="edit"),
            path("<int:pk>/harvest/", HarvestView.as_view(), name="harvest"),
        ]
