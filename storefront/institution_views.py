"""An organisation's application (以购代捐 buyers): a signed-in shopper applies with the organisation's details and a
proof, and sees how their applications stand. Thin: the form and the rules are ``orders.institutions``.

Application POSTs are limited per client (``INSTITUTION_APPLY_RATE_LIMIT``); beyond it nothing is stored."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders.institutions.forms import ApplicationForm
from orders.institutions.selectors import applications_of
from orders.institutions.services import OrganisationError, apply_for_organisation
from storefront.ratelimit import limit_posts


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="storefront:login")
@limit_posts("institution-apply", "INSTITUTION_APPLY_RATE_LIMIT")
def apply(request: HttpRequest) -> HttpResponse:
    """The application form; a valid one creates an ``applied`` organisation with the applicant as its buyer."""
    form = ApplicationForm(request.POST or None, request.FILES or None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            apply_for_organisation(
                applicant=request.user,
                kind=data["kind"],
                name=data["name"],
                credit_code=data["credit_code"],
                invoice_title=data["invoice_title"],
                tax_number=data["tax_number"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                address=form.address(),
                proof=data["proof"],
            )
        except OrganisationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you: your application is with our operators, who will tell you."))
            return HttpResponseRedirect(reverse("storefront:institution_applications"))
    return render(request, "storefront/institutions/apply.html", {"form": form})


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def applications(request: HttpRequest) -> HttpResponse:
    """The organisations the shopper belongs to and their status (applied, verified, rejected, suspended)."""
    return render(
        request, "storefront/institutions/applications.html", {"organisations": applications_of(request.user)}
    )
