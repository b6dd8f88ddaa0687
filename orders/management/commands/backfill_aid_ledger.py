"""Credit paid orders, refunds and counter sales recorded before the aid ledger existed (idempotent)."""

from django.core.management.base import BaseCommand

from orders.aid.services import backfill


class Command(BaseCommand):
    help = (
        "Write the aid-ledger entries missing for paid orders, succeeded refunds and counter sales made before "
        "the ledger existed. Safe to run again: documents that already have entries are skipped."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{backfill()} entr(y/ies) written")
