"""The Stripe webhook: verify the signature, store the event by id, queue its processing, answer at once."""

import json

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.payments.services import record_event
from orders.tasks import publish_stripe_event


@csrf_exempt  # Stripe cannot send a CSRF token; the signature authenticates the request instead.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """400 for anything unsigned, tampered, stale or malformed; 200 for a stored event or a replay."""
    header = request.headers.get("Stripe-Signature", "")
    secret = settings.STRIPE_WEBHOOK_SECRET
    try:
        payload = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return HttpResponseBadRequest("bad payload")
    if not header or not secret:
        return HttpResponseBadRequest("missing signature")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, settings.STRIPE_WEBHOOK_TOLERANCE)
        data = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError):
        return HttpResponseBadRequest("bad signature")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        return HttpResponseBadRequest("not an event")
    with transaction.atomic():
        event, created = record_event(data)
    if created:
        # After the commit; publishing never raises (a broker that is down leaves the row to the sweeper).
        transaction.on_commit(_publisher(event.id))
    return JsonResponse({"received": True, "replay": not created})


def _publisher(event_id: str):
    """A named on-commit callback queuing the event's processing (its failures are logged, not raised)."""

    def publish_event() -> None:
        publish_stripe_event(event_id)

    return publish_event
