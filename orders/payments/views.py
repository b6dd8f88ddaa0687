"""The Stripe webhook: verify the signature, store the event by id, queue its processing, answer at once."""

import json
from functools import partial

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.payments.services import record_event
from orders.tasks import process_stripe_event


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
            transaction.on_commit(partial(process_stripe_event.delay, event.id), robust=True)
    return JsonResponse({"received": True, "replay": not created})
