"""``manage.py warm_cards``: render every public product's card in every language (after a deploy or a
flushed cache; the beat does it each night, when the cards' day changes)."""

from django.core.management.base import BaseCommand

from storefront.cards import warm_cards


class Command(BaseCommand):
    help = "Render every public product's card in every language, so lists find them ready."

    def handle(self, *args, **options) -> None:
        count = warm_cards()
        self.stdout.write(f"{count} products' cards ready")
