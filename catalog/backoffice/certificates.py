"""Certificates in the back office: merchants submit and follow their own, operators approve, reject and
revoke them.

The listing and inspect view are scoped per merchant (``catalog.selectors.certificates_for_user``): a member
never sees, downloads or acts on another merchant's certificate (404). There are no edit, copy or delete URLs:
a certificate changes only through ``catalog.certificates``, which records who, when and why; the inspect view
shows that history. The evidence is kept outside the media folder and served here, within the same scope.
"""

import mimetypes

import django_filters
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton

from catalog.backoffice.scoping import ScopedViewSetMixin
from catalog.certificates import (
    CertificateError,
    approve_certificate,
    reject_certificate,
    revoke_certificate,
    submit_certificate,
)
from catalog.forms import CertificateReviewForm, SubmitCertificateForm
from catalog.models import Certificate, Merchant
from catalog.selectors import can_review, member_merchant_ids, merchants_for_user
from core.backoffice import ReadOnlyViewSetMixin, get_object_in_scope_or_404

ACTIONS = {
    "approve": (approve_certificate, gettext_lazy("Approve"), (Certificate.Status.SUBMITTED,)),
    "reject": (reject_certificate, gettext_lazy("Reject"), (Certificate.Status.SUBMITTED,)),
    "revoke": (
        revoke_certificate,
        gettext_lazy("Revoke"),
        (Certificate.Status.APPROVED, Certificate.Status.EXPIRED),
    ),
}


def _own_merchants(request):
    return merchants_for_user(request.user) if request is not None else Merchant.objects.none()


def actions_for(user, certificate: Certificate) -> list[tuple[str, str]]:
    """(action, label) the user may take on the certificate now: operators only, never on their own merchant's."""
    if not can_review(user) or certificate.merchant_id in member_merchant_ids(user):
        return []
    return [(name, label) for name, (_fn, label, allowed) in ACTIONS.items() if certificate.status in allowed]


class CertificateFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices, label=gettext_lazy("Status"))
    kind = django_filters.ChoiceFilter(choices=Certificate.Kind.choices, label=gettext_lazy("Kind"))
    merchant = django_filters.ModelChoiceFilter(queryset=_own_merchants, label=gettext_lazy("Merchant"))

    class Meta:
        model = Certificate
        fields = ["status", "kind", "merchant"]


class CertificateIndexView(generic.IndexView):
    submit_url_name = None

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("merchant")

    @property
    def header_buttons(self):
        if not self.user_has_permission("add"):
            return []
        return [HeaderButton(_("Submit a certificate"), url=reverse(self.submit_url_name), icon_name="plus")]


class CertificateInspectView(generic.InspectView):
    template_name = "catalog/admin/certificate_inspect.html"
    review_url_name = None
    evidence_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = self.object
        context.update(
            certificate=certificate,
            products=list(certificate.products.order_by("name")),
            changes=list(certificate.changes.select_related("actor").order_by("created_at", "pk")),
            actions=[
                (label, reverse(self.review_url_name, args=[certificate.pk, name]))
                for name, label in actions_for(self.request.user, certificate)
            ],
            evidence_url=reverse(self.evidence_url_name, args=[certificate.pk]) if certificate.evidence else "",
        )
        return context


class CertificateFormView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "catalog/admin/certificate_form.html"
    header_icon = "doc-full"
    index_url_name = None
    inspect_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(Certificate._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.get_full_path(),
            submit_button_label=self.submit_button_label,
            submit_button_active_label=self.submit_button_label,
        )
        return context


class SubmitCertificateView(CertificateFormView):
    """A merchant's member submits a certificate for its own merchant (operators may, on a merchant's behalf)."""

    permission_required = "add"
    form_class = SubmitCertificateForm
    page_title = gettext_lazy("Submit a certificate")
    submit_button_label = gettext_lazy("Submit for review")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            certificate = submit_certificate(
                merchant=data["merchant"],
                kind=data["kind"],
                number=data["number"],
                issuer=data["issuer"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                evidence=data["evidence"],
                products=data["products"],
                actor=self.request.user,
            )
        except CertificateError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request, _("Certificate %(number)s submitted for review.") % {"number": certificate.number}
        )
        return redirect(reverse(self.inspect_url_name, args=[certificate.pk]))


class ReviewCertificateView(CertificateFormView):
    """An operator approves, rejects or revokes a certificate, giving a reason."""

    permission_required = "view"
    form_class = CertificateReviewForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.certificate = get_object_in_scope_or_404(Certificate, request.user, kwargs["pk"])
        if kwargs["action"] not in ACTIONS:
            raise Http404
        self.action = kwargs["action"]

    def dispatch(self, request, *args, **kwargs):
        if self.action not in dict(actions_for(request.user, self.certificate)):
            return self.refuse(request)
        return super().dispatch(request, *args, **kwargs)

    def refuse(self, request):
        if not can_review(request.user):
            raise Http404  # merchants do not learn that the review URL exists
        messages.error(request, _("This certificate cannot be changed so now."))
        return redirect(reverse(self.inspect_url_name, args=[self.certificate.pk]))

    @property
    def submit_button_label(self):
        return ACTIONS[self.action][1]

    def get_page_title(self):
        return f"{ACTIONS[self.action][1]}: {self.certificate}"

    def get_page_subtitle(self):
        return str(self.certificate.merchant)

    def get_context_data(self, **kwargs):
        return super().get_context_data(certificate=self.certificate, **kwargs)

    def form_valid(self, form):
        action = ACTIONS[self.action][0]
        try:
            action(self.certificate, actor=self.request.user, reason=form.cleaned_data["reason"])
        except CertificateError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Certificate %(number)s is now %(status)s.")
            % {"number": self.certificate.number, "status": self.certificate.get_status_display()},
        )
        return redirect(reverse(self.inspect_url_name, args=[self.certificate.pk]))


class EvidenceView(PermissionCheckedMixin, View):
    """The certificate's evidence file, for those who see the certificate."""

    permission_required = "view"

    def get(self, request, pk: int):
        certificate = get_object_in_scope_or_404(Certificate, request.user, pk)
        if not certificate.evidence:
            raise Http404
        name = certificate.evidence.name.rsplit("/", 1)[-1]
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(
            certificate.evidence.open("rb"), as_attachment=True, filename=name, content_type=content_type
        )


class CertificateViewSet(ReadOnlyViewSetMixin, ScopedViewSetMixin, ModelViewSet):
    """Certificates: a scoped listing and inspect view, a submit form, review forms and the evidence."""

    menu_name = "certificates"  # fixed: a name derived from the label would change with the language

    model = Certificate
    name = "certificate"
    url_prefix = "certificates"
    icon = "doc-full"
    owner_field = "merchant"
    inspect_view_enabled = True
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    filterset_class = CertificateFilterSet
    search_fields = ["number", "issuer", "merchant__name"]
    list_display = [
        "number",
        "kind",
        Column("merchant", label=gettext_lazy("Merchant"), accessor="merchant.name", sort_key="merchant__name"),
        "scope",
        DateColumn("valid_until", label=gettext_lazy("Valid until"), sort_key="valid_until"),
        "status",
        UserColumn("submitted_by", label=gettext_lazy("Submitted by")),
    ]
    inspect_view_fields = ["kind", "number", "issuer", "merchant", "scope", "valid_from", "valid_until", "status"]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(submit_url_name=self.get_url_name("submit"), **kwargs)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            review_url_name=self.get_url_name("review"), evidence_url_name=self.get_url_name("evidence"), **kwargs
        )

    def _form_view(self, view_class):
        return self.construct_view(
            view_class, index_url_name=self.get_url_name("index"), inspect_url_name=self.get_url_name("inspect")
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("submit/", self._form_view(SubmitCertificateView), name="submit"),
            path("review/<int:pk>/<slug:action>/", self._form_view(ReviewCertificateView), name="review"),
            path("evidence/<int:pk>/", self.construct_view(EvidenceView), name="evidence"),
        ]
