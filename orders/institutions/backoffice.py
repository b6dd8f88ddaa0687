"""Organisations in the back office: operators register, edit and decide on every one; a member sees only
their own organisations (listing, inspect view with members, addresses and history; read only).

Scoped like the merchants (``catalog.backoffice.scoping``, through ``core.scopes`` and
``orders.institutions.selectors``): another organisation's inspect, edit, history, decision or proof URL
answers 404, and the listing and its search start from the user's own rows. Status changes go through
``orders.institutions.services`` only (the form has no status field), with who, when and why.
"""

import mimetypes

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet

from catalog.backoffice.scoping import ScopedPermissionPolicy, ScopedViewSetMixin
from core.backoffice import get_object_in_scope_or_404
from orders.institutions.forms import DecisionForm, OrganisationForm
from orders.institutions.selectors import REVIEW_PERMISSION, history_of, members_of
from orders.institutions.services import DECISIONS, OrganisationError, decide, decisions_for, register_organisation
from orders.models import Organisation

DECISION_LABELS = {
    "verify": gettext_lazy("Verify"),
    "reject": gettext_lazy("Reject"),
    "suspend": gettext_lazy("Suspend"),
    "reinstate": gettext_lazy("Reinstate"),
}


class OrganisationPermissionPolicy(ScopedPermissionPolicy):
    """Model permissions, and on an instance the organisation scope; who may act on a row: operators and its
    members."""

    def users_with_any_permission_for_instance(self, actions, instance) -> QuerySet:
        app_label, codename = REVIEW_PERMISSION.split(".")
        review = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label) | Q(
            groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
        )
        sees_row = Q(is_superuser=True) | review | Q(memberships__organisation=instance)
        in_scope = get_user_model().objects.filter(sees_row).values("pk")
        return self.users_with_any_permission(actions).filter(pk__in=in_scope)


class OrganisationCreateView(generic.CreateView):
    def save_instance(self):
        """Registered by an operator: verified at once, its history says by whom."""
        instance = self.form.save(commit=False)
        return register_organisation(instance, actor=self.request.user)


class OrganisationInspectView(generic.InspectView):
    template_name = "orders/admin/organisation_inspect.html"
    decide_url_name = None
    proof_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        context.update(
            members=list(members_of(organisation)),
            addresses=list(organisation.addresses.all()),
            changes=list(history_of(organisation)),
            decisions=[
                (DECISION_LABELS[name], reverse(self.decide_url_name, args=[organisation.pk, name]))
                for name in decisions_for(self.request.user, organisation)
            ],
            proof_url=reverse(self.proof_url_name, args=[organisation.pk]) if organisation.proof else "",
        )
        return context


class DecideView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """An operator verifies, rejects, suspends or reinstates an organisation, giving a reason."""

    permission_required = "view"
    form_class = DecisionForm
    template_name = "orders/admin/organisation_decide.html"
    header_icon = "group"
    index_url_name = None
    inspect_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.organisation = get_object_in_scope_or_404(Organisation, request.user, kwargs["pk"])
        if kwargs["decision"] not in DECISIONS:
            raise Http404
        self.decision = kwargs["decision"]

    def dispatch(self, request, *args, **kwargs):
        if self.decision not in decisions_for(request.user, self.organisation):
            if not request.user.has_perm(REVIEW_PERMISSION):
                raise Http404  # members do not learn that the decision URLs exist
            messages.error(request, _("This organisation cannot be changed so now."))
            return redirect(reverse(self.inspect_url_name, args=[self.organisation.pk]))
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"{DECISION_LABELS[self.decision]}: {self.organisation}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(Organisation._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        label = DECISION_LABELS[self.decision]
        return super().get_context_data(
            organisation=self.organisation,
            action_url=self.request.get_full_path(),
            submit_button_label=label,
            submit_button_active_label=label,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            decide(self.organisation, self.decision, actor=self.request.user, reason=form.cleaned_data["reason"])
        except OrganisationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(organisation)s is now %(status)s.")
            % {"organisation": self.organisation.name, "status": self.organisation.get_status_display()},
        )
        return redirect(reverse(self.inspect_url_name, args=[self.organisation.pk]))


class ProofView(PermissionCheckedMixin, View):
    """The organisation's proof file, for those who see the organisation (kept outside the media folder)."""

    permission_required = "view"

    def get(self, request, pk: int):
        organisation = get_object_in_scope_or_404(Organisation, request.user, pk)
        if not organisation.proof:
            raise Http404
        name = organisation.proof.name.rsplit("/", 1)[-1]
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(organisation.proof.open("rb"), as_attachment=True, filename=name, content_type=content_type)


class OrganisationViewSet(ScopedViewSetMixin, ModelViewSet):
    """Organisations: operators manage all of them; a member sees only their own, read only."""

    menu_name = "organisations"  # fixed: a name derived from the label would change with the language

    model = Organisation
    name = "organisation"
    url_prefix = "organisations"
    icon = "group"
    add_to_admin_menu = True
    menu_label = gettext_lazy("Organisations")
    menu_order = 310
    inspect_view_enabled = True
    copy_view_enabled = False
    add_view_class = OrganisationCreateView
    inspect_view_class = OrganisationInspectView
    list_display = ["name", "kind", "credit_code", "status", DateColumn("created_at", label=gettext_lazy("Registered"))]
    list_filter = ["kind", "status"]
    search_fields = ["name", "credit_code", "invoice_title", "contact_name"]
    inspect_view_fields = [
        "name",
        "kind",
        "credit_code",
        "invoice_title",
        "tax_number",
        "contact_name",
        "contact_phone",
        "contact_email",
        "approval_threshold",
        "annual_target",
        "status",
        "verified_by",
        "verified_at",
        "created_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
            FieldPanel("credit_code"),
            FieldRowPanel([FieldPanel("invoice_title"), FieldPanel("tax_number")]),
            MultiFieldPanel(
                [FieldPanel("contact_name"), FieldPanel("contact_phone"), FieldPanel("contact_email")],
                heading=gettext_lazy("Contact"),
            ),
            FieldRowPanel([FieldPanel("approval_threshold"), FieldPanel("annual_target")]),
            InlinePanel("addresses", heading=gettext_lazy("Addresses"), label=gettext_lazy("Address")),
            InlinePanel(
                "memberships",
                heading=gettext_lazy("Members"),
                label=gettext_lazy("Member"),
                panels=[FieldRowPanel([FieldPanel("user"), FieldPanel("role")])],
            ),
        ],
        base_form_class=OrganisationForm,
    )

    @cached_property
    def permission_policy(self) -> OrganisationPermissionPolicy:
        return OrganisationPermissionPolicy(self.model)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            decide_url_name=self.get_url_name("decide"), proof_url_name=self.get_url_name("proof"), **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "decide/<int:pk>/<slug:decision>/",
                self.construct_view(
                    DecideView,
                    index_url_name=self.get_url_name("index"),
                    inspect_url_name=self.get_url_name("inspect"),
                ),
                name="decide",
            ),
            path("proof/<int:pk>/", self.construct_view(ProofView), name="proof"),
        ]
