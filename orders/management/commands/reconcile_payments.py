"""Ask Stripe about orders still awaiting payment that have an intent, and apply what it says."""

from django.core.management.base import BaseCommand

from orders.payments.services import reconcile_payments


class Command(BaseCommand):
    help = "Apply payments Stripe took but whose webhook never arrived (idempotent; safe to run often)."

    def handle(self, *args, **options) -> None:
        paid = reconcile_payments()
        self.stdout.write(f"{paid} order(s) found paid")
