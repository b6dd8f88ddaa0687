"""The counter console in the Wagtail admin: thin views over ``orders.counter`` services and selectors.

Every view checks the permission first (no permission: Wagtail's "no permission" redirect), then
looks the counter or fulfilment up among the user's own (anything else: 404). Forms post with
Django's CSRF token like every Wagtail admin form.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from django.views import View
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from catalog.models import Batch, Location
from catalog.notifications import audience
from catalog.services import StockError
from core.backoffice import clean_pk
from core.money import format_fen
from core.qr import qr_svg
from orders.counter.forms import HandOverForm, SaleDraft, SaleForm
from orders.counter.search import MAX_QUERY_LENGTH, search_counter
from orders.counter.selectors import (
    CONSOLE_PERMISSION,
    counter_batches,
    counter_fulfilments,
    counter_pickups,
    counter_sales,
    counters_for_user,
    day_summary,
    has_counter_access,
    label_batches,
    pickups_ready,
    pickups_to_prepare,
    recently_handed_over,
    sales_totals,
    sellable_stock_at,
)
from orders.counter.services import hand_over, hand_over_by_code, record_counter_sale
from orders.fulfilment import mark_fulfilment_ready
from orders.models import CounterSale, Fulfilment, Pickup
from orders.state import OrderError
from worker.models import Notification
from worker.selectors import queued_messages

SALES_PER_PAGE = 50
BATCHES_SHOWN = 50
MAX_LABELS = 200
MESSAGES_SHOWN = 10
MESSAGES_READ = 50
QUEUE_REFRESH_SECONDS = 30


def message_title(notification: Notification) -> str:
    """A counter-queue message in one line, in the reader's language: the subject its e-mail would have."""
    context = {**notification.payload, "notification": notification}
    return " ".join(render_to_string(f"email/{notification.template}.subject.txt", context).split())


def queue_messages(notifications: list[Notification], to_prepare: set[str]) -> list[dict]:
    """The counter's messages worth showing, newest first, each once: one "prepare" message per order (one was sent
    per merchant's part), only while that order still has parts to prepare here; only the latest daily digest."""
    shown, seen = [], set()
    for notification in notifications:
        if notification.template == "counter_prepare":
            number = notification.payload.get("order_number")
            if number not in to_prepare:
                continue
            key = ("order", number)
        elif notification.template == "counter_digest":
            key = ("digest",)
        else:
            key = ("message", notification.template, str(notification.payload))
        if key in seen:
            continue
        seen.add(key)
        shown.append({"time": notification.created_at, "title": message_title(notification)})
    return shown[:MESSAGES_SHOWN]


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


class QueueMixin:
    """The counter's live queue: its messages, the orders to prepare, ready, and lately handed over."""

    location: Location

    def queue_context(self) -> dict:
        to_prepare = list(pickups_to_prepare(self.location))
        notifications = list(queued_messages([audience(self.location)], MESSAGES_READ))
        return {
            "to_prepare": to_prepare,
            "ready": list(pickups_ready(self.location)),
            "handed_over": list(recently_handed_over(self.location)),
            "counter_messages": queue_messages(notifications, {pickup.order.number for pickup in to_prepare}),
            "queue_url": reverse("counter:queue", args=[self.location.pk]),
            "refreshed_at": timezone.now(),
            "now": timezone.now(),
        }


class ConsoleView(QueueMixin, CounterPageMixin, TemplateView):
    """The counter's queue: the search (code, QR, phone digits, order number), the code field (type or scan a
    customer's code to hand their order over), orders with parts to prepare and their pick lists, orders ready for
    pickup, recent hand-overs; the queue refreshes itself (``QueueView``)."""

    template_name = "orders/counter/console.html"
    page_title = gettext_lazy("Counter console")
    search = None

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
            search_action=reverse("counter:search", args=[self.location.pk]),
            search=self.search,
            max_query_length=MAX_QUERY_LENGTH,
            refresh_seconds=QUEUE_REFRESH_SECONDS,
            **self.queue_context(),
            **kwargs,
        )


class SearchView(ConsoleView):
    """POST: find orders at this counter by pickup code (typed or its QR scanned), the last 4 digits of the
    customer's phone or the order number; the console is shown with what was found on top. A search by code is
    guarded like the code field (it tells whether a code exists) and its rows hand over in one step."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return redirect("counter:console", self.location.pk)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        self.search = search_counter(self.location, request.POST.get("q", ""))
        return self.render_to_response(self.get_context_data())


class QueueView(QueueMixin, CounterAccessMixin, View):
    """GET: the queue part of the console alone, which the console's script fetches every
    ``QUEUE_REFRESH_SECONDS`` to replace its own (no flashed messages in it: those are shown once, by pages)."""

    http_method_names = ["get"]

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        html = render_to_string(
            "orders/counter/_queue.html", {"location": self.location, **self.queue_context()}, request=request
        )
        return HttpResponse(html)  # the admin's responses are never cached


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
    """Record a walk-in sale: scan or type a SKU (or search the products stocked here) to add a line, step the
    quantities, choose how the customer paid; every button posts the sale back (``SaleDraft``) and the page's
    script does the same in the browser, with the total kept live. "Record sale" records it at the server's
    prices and shows the receipt."""

    template_name = "orders/counter/record_sale.html"
    page_title = gettext_lazy("Record a counter sale")
    permission_required = "orders.add_countersale"

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)
        self.stocks = list(sellable_stock_at(self.location))

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(stocks=self.stocks, action_url=self.request.get_full_path(), **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return self.render_to_response(self.get_context_data(draft=SaleDraft(self.stocks), form=SaleForm()))

    def post(self, request, *args, **kwargs) -> HttpResponse:
        draft, form = SaleDraft(self.stocks, request.POST), SaleForm(request.POST)
        if "record" not in request.POST or draft.errors:
            return self.render_to_response(self.get_context_data(draft=draft, form=SaleForm(initial=form.data)))
        if not draft.quantities:
            draft.errors.append(_("Add at least one product to the sale."))
        if not form.is_valid() or draft.errors:
            return self.render_to_response(self.get_context_data(draft=draft, form=form))
        try:
            sale = record_counter_sale(
                self.location,
                draft.sale_lines(),
                actor=request.user,
                payment_method=form.cleaned_data["payment_method"],
                note=form.cleaned_data["note"],
                voucher_code=form.cleaned_data["voucher_code"],
            )
        except (OrderError, StockError) as error:
            draft.errors.append(str(error))
            return self.render_to_response(self.get_context_data(draft=draft, form=form))
        if sale.voucher_discount:
            message = _("Sale %(number)s recorded: %(total)s, voucher %(voucher)s, the customer pays %(paid)s.") % {
                "number": sale.number,
                "total": format_fen(sale.total),
                "voucher": format_fen(sale.voucher_discount),
                "paid": format_fen(sale.customer_paid),
            }
        else:
            message = _("Sale %(number)s recorded: %(total)s.") % {
                "number": sale.number,
                "total": format_fen(sale.total),
            }
        messages.success(request, message)
        return redirect("counter:receipt", self.location.pk, sale.pk)


class ReceiptView(CounterPageMixin, TemplateView):
    """A sale's receipt, laid out for a 58 mm thermal printer when printed (the admin around it is not printed)."""

    template_name = "orders/counter/receipt.html"
    page_title = gettext_lazy("Receipt")
    permission_required = "orders.view_countersale"

    def load(self, *, location_id, pk, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)
        self.sale = counter_sales(self.location).filter(pk=clean_pk(CounterSale, pk)).first()
        if self.sale is None:
            raise Http404

    def get_page_subtitle(self) -> str:
        return self.sale.number

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(sale=self.sale, **kwargs)


class DaySummaryView(CounterPageMixin, TemplateView):
    """The counter's day-end summary: sales (count, total, per payment method), hand-overs, the cash to hand in,
    and the aid ledger's counter-sale credits for the same counter and day beside them."""

    template_name = "orders/counter/day_summary.html"
    page_title = gettext_lazy("Day-end summary")
    permission_required = "orders.view_countersale"

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def get_context_data(self, **kwargs) -> dict:
        try:
            day = parse_date(self.request.GET.get("day", "")[:10])
        except ValueError:  # well formed, but no such day
            day = None
        return super().get_context_data(summary=day_summary(self.location, day), **kwargs)


def trace_url(batch: Batch) -> str:
    """The absolute address of the batch's public page, on the Chinese site (``/trace/<code>/``): what its QR
    labels encode."""
    with override(settings.LANGUAGE_CODE):
        path_ = reverse("storefront:trace", kwargs={"code": batch.code})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path_


class BatchesView(CounterPageMixin, TemplateView):
    """The batches received at this counter, newest first, each with its "print QR labels" page."""

    template_name = "orders/counter/batches.html"
    page_title = gettext_lazy("Batches")

    def load(self, *, location_id, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(batches=list(counter_batches(self.location)[:BATCHES_SHOWN]), **kwargs)


class BatchLabelsView(CounterPageMixin, TemplateView):
    """QR labels of one batch for its packs, laid out for the counter's 58 mm thermal printer: one label 30 mm high
    per pack (product, batch code, date, the QR of the batch's trace page). Counter staff print labels only for
    batches received at their counter, operators for any (anything else: 404). ``?count=`` labels (1 to
    ``MAX_LABELS``; the quantity received by default)."""

    template_name = "orders/counter/batch_labels.html"
    page_title = gettext_lazy("Print QR labels")

    def load(self, *, location_id, pk, **kwargs) -> None:
        self.location = self.counter_in_scope(location_id)
        self.batch = label_batches(self.request.user, self.location).filter(pk=clean_pk(Batch, pk)).first()
        if self.batch is None:
            raise Http404

    def get_page_subtitle(self) -> str:
        return self.batch.code

    def label_count(self) -> int:
        try:
            count = int(self.request.GET.get("count", ""))
        except ValueError:
            count = self.batch.quantity_received
        return max(1, min(count, MAX_LABELS))

    def get_context_data(self, **kwargs) -> dict:
        url = trace_url(self.batch)
        product = self.batch.variant.product
        qr = qr_svg(url, label=_("QR code of batch %(code)s") % {"code": self.batch.code}, css_class="batch-label__qr")
        count = self.label_count()
        return super().get_context_data(
            batch=self.batch,
            product=product,
            trace_url=url,
            qr=qr,
            count=count,
            labels=range(count),
            max_labels=MAX_LABELS,
            **kwargs,
        )


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
            path("<int:location_id>/sales/<int:pk>/receipt/", ReceiptView.as_view(), name="receipt"),
            path("<int:location_id>/day/", DaySummaryView.as_view(), name="day_summary"),
            path("<int:location_id>/batches/", BatchesView.as_view(), name="batches"),
            path("<int:location_id>/batches/<int:pk>/labels/", BatchLabelsView.as_view(), name="batch_labels"),
            path("<int:location_id>/search/", SearchView.as_view(), name="search"),
            path("<int:location_id>/queue/", QueueView.as_view(), name="queue"),
            path("<int:location_id>/hand-over/", HandOverByCodeView.as_view(), name="hand_over_by_code"),
            path("fulfilments/<int:pk>/ready/", MarkReadyView.as_view(), name="ready"),
            path("pickups/<int:pk>/hand-over/", HandOverView.as_view(), name="hand_over"),
        ]
