"""Prove that the aid ledger matches the money: exit status 1 and a line per document when it does not."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.aid.selectors import reconcile


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Check that aid-ledger credits minus debits equal captured payments minus refunds, less shipping "
        "captured plus shipping refunded, plus counter sales, for the period (local days, both included). "
        "Exits 1 and lists every order, counter sale or entry that differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="date_from", type=_day, help="First day (YYYY-MM-DD), default: the beginning"
        )
        parser.add_argument("--to", dest="date_to", type=_day, help="Last day (YYYY-MM-DD), default: today")

    def handle(self, *args, date_from: date | None = None, date_to: date | None = None, **options) -> None:
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from must not be after --to")
        result = reconcile(date_from, date_to)
        period = f"{date_from or '…'} – {date_to or '…'}"
        ledger = result.credits - result.debits
        money = (
            result.total("payments")
            - result.total("refunds")
            - result.total("shipping_captured")
            + result.total("shipping_refunded")
            + result.total("counter_sales")
        )
        self.stdout.write(f"Aid ledger reconciliation {period}")
        self.stdout.write(
            f"  ledger: credits {_yuan(result.credits)} - debits {_yuan(result.debits)} = {_yuan(ledger)}"
        )
        self.stdout.write(
            f"  money:  payments {_yuan(result.total('payments'))} - refunds {_yuan(result.total('refunds'))}"
            f" - shipping captured {_yuan(result.total('shipping_captured'))}"
            f" + shipping refunded {_yuan(result.total('shipping_refunded'))}"
            f" + counter sales {_yuan(result.total('counter_sales'))} = {_yuan(money)}"
        )
        differences = result.differences
        if not differences:
            self.stdout.write(self.style.SUCCESS("  balanced"))
            return
        for document in differences:
            self.stdout.write(
                f"  MISMATCH {document.reference}: ledger {_yuan(document.ledger)}, expected {_yuan(document.expected)}"
                f" (payments {_yuan(document.payments)}, refunds {_yuan(document.refunds)},"
                f" shipping {_yuan(document.shipping_captured - document.shipping_refunded)},"
                f" counter {_yuan(document.counter_sales)}), difference {_yuan(document.difference)}"
            )
            for label, expected, ledger in document.differing_lines:
                self.stdout.write(f"    line {label}: ledger {_yuan(ledger)}, expected {_yuan(expected)}")
        raise CommandError(f"{len(differences)} difference(s) between the aid ledger and the money", returncode=1)
