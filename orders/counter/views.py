"""The counter console in the Wagtail admin: thin views over ``orders.counter`` services and selectors.

Every view checks the permission first (no permission: Wagtail's "no permission" redirect), then
looks the counter or fulfilment up among the user's own (anything else: 404). Forms post with
Django's CSRF token like every Wagtail admin form.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from catalog.models import Location
from catalog.notifications import audience
from catalog.services import StockError
from core.backoffice import clean_pk
from core.money import format_fen
from orders.counter.forms import HandOverForm, SaleLineFormSet, SaleNoteForm
from orders.counter.selectors import (
    CONSOLE_PERMISSION,
    counter_fulfilments,
    counter_pickups,
    counter_sales,
    counters_for_user,
    has_counter_access,
    pickups_ready,
    pickups_to_prepare,
    recently_handed_over,
    sales_totals,
    sellable_stock_at,
)
from orders.counter.services import hand_over, hand_over_by_code, record_counter_sale
from orders.fulfilment import mark_fulfilment_ready
from orders.models import Fulfilment, Pickup
from orders.state import OrderError
from worker.models import Notification
from worker.selectors import queued_messages

SALES_PER_PAGE = 50
MESSAGES_SHOWN = 10


def message_title(notification: Notification) -> str:
    """A counter-queue message in one line, in the reader's language: the subject its e-mail would have."""
    context = {**notification.payload, "notification": notification}
    return " ".join(render_to_string(f"email/{notification.template}.subject.txt", context).split())


class CounterMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return has_counter_access(request.user)


class CounterAccessMixin:
    """Refuse users without counter access or the view's permission, before anything is looked up."""

    permission_required = CONSOLE_PERMISSION

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not (has_counter_access(request.user) and request.user.has_perm(self.permission_required)):
            raise PermissionDenied
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, **kwargs) -> None:
        """Look up the objects named in the URL (within the user's scope, or 404)."""

    @cached_property
    def counters(self) -> list[Location]:
        return list(counters_for_user(self.request.user).order_by("county", "name"))

    def counter_in_scope(self, raw_pk: object) -> Location:
        location = counters_for_user(self.request.user).filter(pk=clean_pk(Location, raw_pk)).first()
        if location is None:
            raise Http404
        return location

    def fulfilment_in_scope(self, raw_pk: object) -> Fulfilment:
        fulfilment = counter_fulfilments(self.request.user).filter(pk=clean_pk(Fulfilment, raw_pk)).first()
        if fulfilment is None:
            raise Http404
        return fulfilment

    def pickup_in_scope(self, raw_pk: object) -> Pickup:
        pickup = counter_pickups(self.request.user).filter(pk=clean_pk(Pickup, raw_pk)).first()
        if pickup is None:
            raise Http404
        return pickup


class CounterPageMixin(CounterAccessMixin, WagtailAdminTemplateMixin):
    """A console page about one counter, with the breadcrumbs back to it."""

    header_icon = "home"
    location: Location

    def get_page_subtitle(self) -> str:
        return self.location.name

    def get_breadcrumbs_items(self) -> list[dict]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("counter:home"), "label": _("Counter")},
            {"url": reverse("counter:console", args=[self.location.pk]), "label": self.location.name},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs) -> dict:
        user = self.request.user
        return super().get_context_data(
            location=self.location,
            counters=self.counters,
            can_view_sales=user.has_perm("orders.view_countersale"),
            can_record_sale=user.has_perm("orders.add_countersale"),
            **kwargs,
        )


class CounterHomeView(CounterAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """Straight to the console of one's only counter; otherwise the list of counters to choose from."""

    template_name = "orders/counter/home.html"
    page_title = gettext_lazy("Counter")
    header_icon = "home"

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if len(self.counters) == 1:
            return redirect("counter:console", self.counters[0].pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(counters=self.counters, **kwargs)


class ConsoleView(CounterPageMixin, TemplateView):
    """The counter's queue: the code field (type or scan a customer's code to hand their order over), orders with
    parts to prepare and their pick lists, orders ready for pickup, recent hand-overs."""

    template_name = "orders/counter/console.html"
    page_title = gettext_lazy("Counter console")

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def get_breadcrumbs_items(self) -> list[dict]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("counter:home"), "label": _("Counter")},
            {"url": "", "label": self.location.name},
        ]

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            code_action=reverse("counter:hand_over_by_code", args=[self.location.pk]),
            to_prepare=list(pickups_to_prepare(self.location)),
            ready=list(pickups_ready(self.location)),
            handed_over=list(recently_handed_over(self.location)),
            counter_messages=[
                {"time": message.created_at, "title": message_title(message)}
                for message in queued_messages([audience(self.location)], MESSAGES_SHOWN)
            ],
            now=timezone.now(),
            **kwargs,
        )


class MarkReadyView(CounterAccessMixin, View):
    """POST: the part is packed; when it is the last of its order here, the customer is sent the pickup code."""

    http_method_names = ["post"]

    def load(self, *, pk, **kwargs) -> None:
        self.fulfilment = self.fulfilment_in_scope(pk)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        number = self.fulfilment.order.number
        try:
            mark_fulfilment_ready(self.fulfilment, actor=request.user)
        except OrderError as error:
            messages.error(request, str(error))
            return redirect("counter:console", self.fulfilment.location_id)
        pending = self.fulfilment.pickup.parts.filter(status=Fulfilment.Status.PENDING).count()
        if pending:
            messages.success(
                request,
                ngettext(
                    "This part of order %(number)s is ready. %(count)d more part to prepare before the customer "
                    "is told.",
                    "This part of order %(number)s is ready. %(count)d more parts to prepare before the customer "
                    "is told.",
                    pending,
                )
                % {"number": number, "count": pending},
            )
        else:
            messages.success(
                request,
                _("Order %(number)s is ready for pickup; the customer has been sent the pickup code.")
                % {"number": number},
            )
        return redirect("counter:console", self.fulfilment.location_id)


def _handed_over_message(pickup: Pickup) -> str:
    count = pickup.parts.filter(status=Fulfilment.Status.COMPLETED).count()
    return ngettext(
        "Order %(number)s has been handed over (%(count)d part).",
        "Order %(number)s has been handed over (%(count)d parts, together).",
        count,
    ) % {"number": pickup.order.number, "count": count}


class HandOverView(CounterPageMixin, FormView):
    """Hand over every part of one order at this counter against the customer's pickup code (typed or scanned)."""

    template_name = "orders/counter/hand_over.html"
    form_class = HandOverForm
    page_title = gettext_lazy("Hand over")

    def load(self, *, pk, **kwargs) -> None:
        self.pickup = self.pickup_in_scope(pk)
        self.location = self.pickup.location

    def get_page_subtitle(self) -> str:
        return self.pickup.order.number

    def form_valid(self, form) -> HttpResponse:
        try:
            pickup = hand_over(self.pickup, form.cleaned_data["code"], actor=self.request.user)
        except OrderError as error:
            form.add_error("code", str(error))
            return self.form_invalid(form)
        messages.success(self.request, _handed_over_message(pickup))
        return redirect("counter:console", self.location.pk)

    def get_context_data(self, **kwargs) -> dict:
        self.pickup.refresh_from_db()
        return super().get_context_data(
            pickup=self.pickup,
            order=self.pickup.order,
            parts=list(self.pickup.parts.exclude(status=Fulfilment.Status.CANCELLED).select_related("merchant")),
            action_url=self.request.get_full_path(),
            submit_button_label=_("Hand over"),
            submit_button_active_label=_("Checking…"),
            now=timezone.now(),
            **kwargs,
        )


class HandOverByCodeView(CounterPageMixin, FormView):
    """The console's code field: the customer's code, typed or scanned, finds their order at this counter and hands
    every part of it over in one step. GET shows the field alone (for a scanner at the desk)."""

    template_name = "orders/counter/hand_over_by_code.html"
    form_class = HandOverForm
    page_title = gettext_lazy("Hand over by pickup code")

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def form_valid(self, form) -> HttpResponse:
        try:
            pickup = hand_over_by_code(self.location, form.cleaned_data["code"], actor=self.request.user)
        except OrderError as error:
            form.add_error("code", str(error))
            return self.form_invalid(form)
        messages.success(self.request, _handed_over_message(pickup))
        return redirect("counter:console", self.location.pk)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            action_url=self.request.get_full_path(),
            submit_button_label=_("Hand over"),
            submit_button_active_label=_("Checking…"),
            **kwargs,
        )


class SalesView(CounterPageMixin, TemplateView):
    """The counter's recorded sales, newest first, with today's count and total."""

    template_name = "orders/counter/sales.html"
    page_title = gettext_lazy("Counter sales")
    permission_required = "orders.view_countersale"

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def get_context_data(self, **kwargs) -> dict:
        page = Paginator(counter_sales(self.location), SALES_PER_PAGE).get_page(self.request.GET.get("p"))
        return super().get_context_data(
            page=page,
            sales=page.object_list,
            page_total=sum(sale.total for sale in page.object_list),
            today=sales_totals(self.location),
            **kwargs,
        )


class RecordSaleView(CounterPageMixin, TemplateView):
    """Record a walk-in sale: products stocked here and quantities; "Show total" prices it first."""

    template_name = "orders/counter/record_sale.html"
    page_title = gettext_lazy("Record a counter sale")
    permission_required = "orders.add_countersale"

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)
        self.stocks = list(sellable_stock_at(self.location))

    def forms(self, data=None) -> tuple:
        return SaleLineFormSet(data, form_kwargs={"stocks": self.stocks}, prefix="lines"), SaleNoteForm(data)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(stocks=self.stocks, action_url=self.request.get_full_path(), **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        lines, note = self.forms()
        return self.render_to_response(self.get_context_data(lines_formset=lines, note_form=note))

    def post(self, request, *args, **kwargs) -> HttpResponse:
        lines, note = self.forms(request.POST)
        if not (lines.is_valid() and note.is_valid()):
            return self.render_to_response(self.get_context_data(lines_formset=lines, note_form=note))
        if "preview" in request.POST:
            return self.render_to_response(
                self.get_context_data(lines_formset=lines, note_form=note, preview=self.preview(lines.lines()))
            )
        try:
            sale = record_counter_sale(self.location, lines.lines(), actor=request.user, note=note.cleaned_data["note"])
        except (OrderError, StockError) as error:
            return self.render_to_response(self.get_context_data(lines_formset=lines, note_form=note, error=str(error)))
        messages.success(
            request,
            _("Sale %(number)s recorded: %(total)s.") % {"number": sale.number, "total": format_fen(sale.total)},
        )
        return redirect("counter:sales", self.location.pk)

    def preview(self, lines: list[tuple[int, int]]) -> dict:
        """The chosen lines priced at the current prices (the sale itself prices them again)."""
        stocks = {stock.variant_id: stock for stock in self.stocks}
        rows = [
            {"stock": stocks[variant_id], "quantity": quantity, "total": stocks[variant_id].variant.price * quantity}
            for variant_id, quantity in lines
        ]
        return {"rows": rows, "total": sum(row["total"] for row in rows)}


class CounterViewSet(ViewSet):
    """The "Counter" menu: shown only to users with counter access (counter staff, operators)."""

    menu_name = "counter"  # fixed: a name derived from the label would change with the language

    name = "counter"
    icon = "home"
    menu_label = gettext_lazy("Counter")
    menu_order = 140
    add_to_admin_menu = True
    menu_item_class = CounterMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", CounterHomeView.as_view(), name="home"),
            path("<int:location_id>/", ConsoleView.as_view(), name="console"),
            path("<int:location_id>/sales/", SalesView.as_view(), name="sales"),
            path("<int:location_id>/sales/new/", RecordSaleView.as_view(), name="record_sale"),
            path("<int:location_id>/hand-over/", HandOverByCodeView.as_view(), name="hand_over_by_code"),
            path("fulfilments/<int:pk>/ready/", MarkReadyView.as_view(), name="ready"),
            path("pickups/<int:pk>/hand-over/", HandOverView.as_view(), name="hand_over"),
        ]
