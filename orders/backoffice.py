"""Orders and fulfilments in the back office, scoped per merchant and per counter.

Orders are read here, never edited: there are no add, edit or delete views. The only changes are
cancelling an unpaid order and refunding a paid one (operators, with a reason), through
``orders.payments.cancel_order`` and ``orders.payments.refund_order``; what those refuse comes back as
a message or a form error and changes nothing. Who sees which orders, lines, fulfilments and events is
decided in ``orders.scopes`` (registered with ``core.scopes``); which actions the order's status allows,
in ``orders.state`` (``can_cancel``, ``can_refund``, ``can_ship``).
"""

import django_filters
from django import forms
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from catalog.backoffice.scoping import ScopedViewSetMixin
from catalog.models import Location, Merchant
from catalog.selectors import locations_for_user, merchants_for_user, sees_all_merchants, staffed_location_ids
from core.backoffice import ReadOnlyViewSetMixin, clean_pk, get_object_in_scope_or_404
from core.money import format_fen
from orders.fulfilment import mark_fulfilment_shipped
from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderLine, OrderStatus, PaymentProvider
from orders.payments import cancel_order, refund_order
from orders.scopes import (
    events_for_backoffice_user,
    fulfilments_for_backoffice_user,
    fulfilments_user_may_ship,
    lines_for_backoffice_user,
    orders_at_location,
    orders_with_merchant,
    orders_with_phone,
    search_orders,
)
from orders.state import InvalidTransition, OrderError, can_cancel, can_refund, can_ship, check_transition

ORDER_DETAIL = "orders:inspect"


# -- Presentation helpers ----------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """138****5678: enough to tell two customers apart, not enough to call one."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def mask_name(name: str) -> str:
    """The first character, then one asterisk for each of the others (张** for 张晓明)."""
    return name[:1] + "*" * (len(name) - 1)


def contact_display(order: Order) -> str:
    """Name and mobile number, masked unless the user may see the contact (``contact_visible``)."""
    if order.contact_visible:
        return f"{order.contact_name} {order.contact_phone}"
    return f"{mask_name(order.contact_name)} {mask_phone(order.contact_phone)}"


def delivery_display(order: Order) -> str:
    if order.delivery_method == DeliveryMethod.PICKUP and order.pickup_location:
        return f"{order.get_delivery_method_display()} · {order.pickup_location.name}"
    return order.get_delivery_method_display()


def status_label(event: OrderEvent, value: str) -> str:
    """A status value of an event in words: a fulfilment's status for fulfilment events, else the order's."""
    if not value:
        return ""
    choices = Fulfilment.Status if event.kind == OrderEvent.Kind.FULFILMENT else OrderStatus
    return str(choices(value).label) if value in choices.values else value


def order_url(order_id: int) -> str:
    return reverse(ORDER_DETAIL, args=[order_id])


def _own_merchants(request) -> QuerySet:
    return merchants_for_user(request.user) if request is not None else Merchant.objects.none()


def _own_locations(request) -> QuerySet:
    return locations_for_user(request.user) if request is not None else Location.objects.none()


def _may_search_contacts(user) -> bool:
    """Operators and counter staff may find orders by the customer's number; merchants may not."""
    return sees_all_merchants(user) or bool(staffed_location_ids(user))


# -- Orders listing ----------------------------------------------------------------------


class OrderFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices, label=gettext_lazy("Status"))
    merchant = django_filters.ModelChoiceFilter(
        queryset=_own_merchants, method="filter_merchant", label=gettext_lazy("Merchant")
    )
    counter = django_filters.ModelChoiceFilter(
        queryset=_own_locations, method="filter_counter", label=gettext_lazy("Counter or warehouse")
    )
    delivery_method = django_filters.ChoiceFilter(choices=DeliveryMethod.choices, label=gettext_lazy("Delivery method"))
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", label=gettext_lazy("Placed"), widget=DateRangePickerWidget
    )
    number = django_filters.CharFilter(method="filter_number", label=gettext_lazy("Order number"))
    phone = django_filters.CharFilter(method="filter_phone", label=gettext_lazy("Mobile number"))
    needs_review = django_filters.BooleanFilter(label=gettext_lazy("Flagged for review"))

    class Meta:
        model = Order
        fields = ["status", "merchant", "counter", "delivery_method", "created", "number", "phone", "needs_review"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None or not _may_search_contacts(request.user):
            del self.filters["phone"]

    def filter_merchant(self, queryset, name, value):
        return orders_with_merchant(queryset, value) if value else queryset

    def filter_counter(self, queryset, name, value):
        return orders_at_location(queryset, value) if value else queryset

    def filter_number(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(number__icontains=value) if value else queryset

    def filter_phone(self, queryset, name, value):
        value = value.strip()
        return orders_with_phone(queryset, value) if value else queryset


class OrderIndexView(generic.IndexView):
    default_ordering = "-created_at"

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        if _may_search_contacts(self.request.user):
            return search_orders(queryset, self.search_query)
        return queryset.filter(number__icontains=self.search_query)

    @cached_property
    def columns(self):
        """Operators see the order total; everyone else the goods total of their own lines."""
        if sees_all_merchants(self.request.user):
            amount = Column(
                "total", label=gettext_lazy("Total"), accessor=lambda order: format_fen(order.total), sort_key="total"
            )
        else:
            amount = Column(
                "visible_subtotal",
                label=gettext_lazy("Your lines"),
                accessor=lambda order: format_fen(order.visible_subtotal),
            )
        return [
            TitleColumn(
                "number", label=gettext_lazy("Order number"), get_url=lambda o: order_url(o.pk), sort_key="number"
            ),
            DateColumn("created_at", label=gettext_lazy("Placed"), sort_key="created_at"),
            Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
            Column("contact", label=gettext_lazy("Contact"), accessor=contact_display),
            amount,
            Column("delivery_method", label=gettext_lazy("Delivery method"), accessor=delivery_display),
        ]


# -- One order ---------------------------------------------------------------------------


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the order's history, with your name."),
    )


class RefundOrderForm(forms.Form):
    """The whole order, or chosen quantities of its lines; a reason; whether the goods go back to stock."""

    WHOLE = "whole"
    LINES = "lines"

    scope = forms.ChoiceField(
        label=gettext_lazy("Refund"),
        choices=[
            (WHOLE, gettext_lazy("The whole order (all that has not been refunded yet)")),
            (LINES, gettext_lazy("Only the quantities chosen below")),
        ],
        initial=WHOLE,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the order's history, with your name."),
    )
    restock = forms.BooleanField(
        label=gettext_lazy("Return the goods to stock"),
        required=False,
        help_text=gettext_lazy("Only if the goods came back unharmed and can be sold again."),
    )

    def __init__(self, *args, lines: list[OrderLine], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.line_field_name(line)] = forms.IntegerField(
                label=f"{line.product_name} {line.variant_name} · {format_fen(line.unit_price)} × {line.quantity}",
                min_value=0,
                max_value=line.quantity,
                required=False,
                initial=0,
                help_text=gettext_lazy("How many to refund."),
            )

    @staticmethod
    def line_field_name(line: OrderLine) -> str:
        return f"line_{line.pk}"

    def chosen_lines(self) -> dict[int, int] | None:
        """None for the whole order, else ``{line id: quantity}`` (the service refuses an empty choice)."""
        if self.cleaned_data["scope"] == self.WHOLE:
            return None
        return {line.pk: self.cleaned_data.get(self.line_field_name(line)) or 0 for line in self.lines}


class ShipFulfilmentForm(forms.Form):
    carrier = forms.CharField(
        label=gettext_lazy("Carrier"), max_length=64, help_text=gettext_lazy("For example 顺丰速运.")
    )
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=64)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Optional. Recorded in the order's history, with your name."),
    )


def may_refund(user, order: Order) -> bool:
    return user.has_perm("orders.add_refund") and can_refund(order)


class OrderDetailView(generic.InspectView):
    """The order with the lines, fulfilments and history the user may see."""

    cancel_url_name = None
    refund_url_name = None
    ship_url_name = None

    def get_object(self, queryset=None) -> Order:
        return get_object_in_scope_or_404(Order, self.request.user, self.pk)

    def get_page_title(self) -> str:
        return _("Order")

    def get_fields_context(self) -> list:
        return []

    @cached_property
    def sees_everything(self) -> bool:
        return sees_all_merchants(self.request.user)

    def can_cancel(self) -> bool:
        return self.user_has_permission_for_instance("change", self.object) and can_cancel(self.object)

    def shippable_ids(self, fulfilments: list[Fulfilment]) -> set[int]:
        """The delivery parts the user may mark shipped now (its merchant's members and operators)."""
        user = self.request.user
        if not user.has_perm("orders.change_fulfilment"):
            return set()
        shippable = [f.pk for f in fulfilments if can_ship(f)]
        if not shippable:
            return set()
        return set(
            fulfilments_user_may_ship(user, Fulfilment.objects.filter(pk__in=shippable)).values_list("pk", flat=True)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        order = self.object
        fulfilments = list(fulfilments_for_backoffice_user(user, order.fulfilments.all()))
        fulfilment_names = {f.pk: f"{f.merchant.name} @ {f.location.name}" for f in fulfilments}
        events = [
            {
                "event": event,
                "fulfilment": fulfilment_names.get(event.fulfilment_id, ""),
                "from_label": status_label(event, event.from_status),
                "to_label": status_label(event, event.to_status),
            }
            for event in events_for_backoffice_user(user, order)
        ]
        can_cancel = self.can_cancel()
        can_refund = may_refund(user, order)
        context.update(
            order=order,
            lines=list(lines_for_backoffice_user(user, order)),
            fulfilments=fulfilments,
            events=events,
            sees_everything=self.sees_everything,
            contact=contact_display(order),
            cancel_form=CancelOrderForm() if can_cancel else None,
            cancel_url=reverse(self.cancel_url_name, args=[order.pk]) if can_cancel else None,
            refund_form=RefundOrderForm(lines=list(order.lines.all())) if can_refund else None,
            refund_url=reverse(self.refund_url_name, args=[order.pk]) if can_refund else None,
            refunds=list(order.refunds.select_related("created_by")) if user.has_perm("orders.view_refund") else [],
            ship_url_name=self.ship_url_name,
            shippable_ids=self.shippable_ids(fulfilments),
        )
        return context


class OrderActionView(WagtailAdminTemplateMixin, FormView):
    """A form acting on one order in the user's scope, reached from the order page."""

    index_url_name = None
    inspect_url_name = None

    def setup(self, request, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.order = self.get_order()

    def get_order(self) -> Order:
        return get_object_in_scope_or_404(Order, self.request.user, self.kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return self.order.number

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(Order._meta.verbose_name_plural)},
            {"url": self.detail_url, "label": self.order.number},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def detail_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.order.pk])


class OrderCancelView(OrderActionView):
    """Cancel an order with a reason: operators only (403 for others who may see the order)."""

    form_class = CancelOrderForm
    template_name = "orders/admin/order_cancel.html"
    page_title = gettext_lazy("Cancel order")
    header_icon = "cross"
    permission_policy = None

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not self.permission_policy.user_has_permission_for_instance(request.user, "change", self.order):
            return HttpResponseForbidden(_("Only operators may cancel orders."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        try:
            check_transition(self.order, OrderStatus.CANCELLED)
        except InvalidTransition as error:
            messages.error(request, str(error))
            return redirect(self.detail_url)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        try:
            cancel_order(self.order, actor=self.request.user, reason=form.cleaned_data["reason"])
        except OrderError as error:
            messages.error(self.request, str(error))
        else:
            messages.success(
                self.request,
                _("Order %(number)s is cancelled and its reserved stock released.") % {"number": self.order.number},
            )
        return redirect(self.detail_url)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            order=self.order,
            action_url=self.request.get_full_path(),
            submit_button_label=_("Cancel order"),
            submit_button_active_label=_("Cancelling…"),
            **kwargs,
        )


class OrderRefundView(OrderActionView):
    """Refund a paid order, wholly or by line, with a reason: operators only (403 for others who may see it)."""

    form_class = RefundOrderForm
    template_name = "orders/admin/order_refund.html"
    page_title = gettext_lazy("Refund order")
    header_icon = "rotate"

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("orders.add_refund"):
            return HttpResponseForbidden(_("Only operators may refund orders."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "lines": list(self.order.lines.all())}

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if not may_refund(request.user, self.order):
            messages.error(request, _("Only paid orders can be refunded."))
            return redirect(self.detail_url)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        try:
            refund = refund_order(
                self.order,
                actor=self.request.user,
                reason=form.cleaned_data["reason"],
                lines=form.chosen_lines(),
                restock=form.cleaned_data["restock"],
            )
        except OrderError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        params = {
            "amount": format_fen(refund.amount),
            "number": self.order.number,
            "provider": PaymentProvider(refund.payment.provider).label,
        }
        if refund.status == refund.Status.SUCCEEDED:
            messages.success(self.request, _("Refunded %(amount)s for order %(number)s.") % params)
        else:
            messages.warning(
                self.request,
                _("A refund of %(amount)s for order %(number)s is waiting for %(provider)s to confirm it.") % params,
            )
        return redirect(self.detail_url)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            order=self.order,
            action_url=self.request.get_full_path(),
            submit_button_label=_("Refund"),
            submit_button_active_label=_("Refunding…"),
            **kwargs,
        )


class FulfilmentShipView(OrderActionView):
    """Mark one delivery part shipped with carrier and tracking number: its merchant's members and operators.

    The URL names the fulfilment (``fulfilment_id``, not ``pk``, which the scoped viewset would check as an
    order); one of another merchant, or not a delivery, answers 404.
    """

    form_class = ShipFulfilmentForm
    template_name = "orders/admin/fulfilment_ship.html"
    page_title = gettext_lazy("Mark shipped")
    header_icon = "tasks"

    def get_order(self) -> Order:
        pk = clean_pk(Fulfilment, self.kwargs["fulfilment_id"])
        self.fulfilment = fulfilments_user_may_ship(self.request.user).filter(pk=pk).first()
        if self.fulfilment is None:
            raise Http404
        return get_object_in_scope_or_404(Order, self.request.user, self.fulfilment.order_id)

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("orders.change_fulfilment"):
            return HttpResponseForbidden(_("You may not change fulfilments."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if not can_ship(self.fulfilment):
            messages.error(
                request,
                _("This part of the order cannot be shipped now: it is %(status)s and the order is %(order)s.")
                % {
                    "status": self.fulfilment.get_status_display().lower(),
                    "order": self.order.get_status_display().lower(),
                },
            )
            return redirect(self.detail_url)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        try:
            mark_fulfilment_shipped(
                self.fulfilment,
                actor=self.request.user,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                note=form.cleaned_data["note"],
            )
        except OrderError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Order %(number)s: shipped with %(carrier)s, tracking number %(tracking)s.")
            % {
                "number": self.order.number,
                "carrier": self.fulfilment.carrier,
                "tracking": self.fulfilment.tracking_number,
            },
        )
        return redirect(self.detail_url)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            order=self.order,
            fulfilment=self.fulfilment,
            lines=list(self.fulfilment.lines.order_by("pk")),
            action_url=self.request.get_full_path(),
            submit_button_label=_("Mark shipped"),
            submit_button_active_label=_("Saving…"),
            **kwargs,
        )


class OrderViewSet(ReadOnlyViewSetMixin, ScopedViewSetMixin, ModelViewSet):
    """Orders in the user's scope: a listing, the order page, the cancel and refund forms; nothing else."""

    menu_name = "orders"  # fixed: a name derived from the label would change with the language

    model = Order
    name = "orders"
    icon = "clipboard-list"
    menu_label = gettext_lazy("Orders")
    inspect_view_enabled = True
    index_view_class = OrderIndexView
    inspect_view_class = OrderDetailView
    inspect_template_name = "orders/admin/order_detail.html"
    filterset_class = OrderFilterSet
    search_fields = ["number", "contact_phone", "contact_name"]
    list_per_page = 30

    def get_permissions_to_register(self):
        """Viewing (merchants, counter staff) and changing, that is cancelling (operators)."""
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Order), codename__in=["view_order", "change_order"]
        )

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            cancel_url_name=self.get_url_name("cancel"),
            refund_url_name=self.get_url_name("refund"),
            ship_url_name=self.get_url_name("ship"),
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("cancel/<int:pk>/", self.construct_view(OrderCancelView), name="cancel"),
            path("refund/<int:pk>/", self.construct_view(OrderRefundView), name="refund"),
            path("ship/<int:fulfilment_id>/", self.construct_view(FulfilmentShipView), name="ship"),
        ]


# -- Fulfilments -------------------------------------------------------------------------


class FulfilmentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=Fulfilment.Status.choices, label=gettext_lazy("Status"))
    location = django_filters.ModelChoiceFilter(queryset=_own_locations, label=gettext_lazy("Counter or warehouse"))
    merchant = django_filters.ModelChoiceFilter(queryset=_own_merchants, label=gettext_lazy("Merchant"))
    method = django_filters.ChoiceFilter(choices=DeliveryMethod.choices, label=gettext_lazy("Delivery method"))

    class Meta:
        model = Fulfilment
        fields = ["status", "location", "merchant", "method"]


class FulfilmentIndexView(generic.IndexView):
    default_ordering = "-created_at"

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        return queryset.filter(order__number__icontains=self.search_query)


class FulfilmentViewSet(ReadOnlyViewSetMixin, ScopedViewSetMixin, ModelViewSet):
    """Fulfilments of the user's merchants or at the user's counters; read-only, each linking to its order."""

    menu_name = "fulfilments"  # fixed: a name derived from the label would change with the language

    model = Fulfilment
    name = "fulfilments"
    icon = "tasks"
    menu_label = gettext_lazy("Fulfilments")
    index_view_class = FulfilmentIndexView
    filterset_class = FulfilmentFilterSet
    search_fields = ["order__number"]
    list_per_page = 50
    list_display = [
        TitleColumn(
            "order",
            label=gettext_lazy("Order number"),
            accessor="order.number",
            get_url=lambda fulfilment: order_url(fulfilment.order_id),
            sort_key="order__number",
        ),
        DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
        Column("merchant", label=gettext_lazy("Merchant"), accessor="merchant.name"),
        Column("location", label=gettext_lazy("Counter or warehouse"), accessor="location.name"),
        Column("method", label=gettext_lazy("Delivery method"), accessor="get_method_display"),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        Column("tracking", label=gettext_lazy("Tracking"), accessor=lambda f: f"{f.carrier} {f.tracking_number}"),
    ]

    def get_permissions_to_register(self):
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Fulfilment), codename="view_fulfilment"
        )


class OrdersViewSetGroup(ViewSetGroup):
    menu_name = "orders"  # fixed: a name derived from the label would change with the language
    menu_label = gettext_lazy("Orders")
    menu_icon = "clipboard-list"
    menu_order = 150
    items = (OrderViewSet, FulfilmentViewSet)
