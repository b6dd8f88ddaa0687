"""Prove that the aid ledger matches the money: exit status 1 and a line per document when it does not.

Every entry is reconciled, certified or not; the certified (aid) and uncertified nets are printed apart and
must add up to the ledger's net."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.money import fen_to_yuan
from orders.aid.reconciliation import reconcile


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Check that aid-ledger credits minus debits equal captured payments minus refunds, less shipping "
        "captured plus shipping refunded, plus counter sales, for the period (local days, both included). "
        "Exits 1 and lists every order, counter sale or entry that differs. Also prints the ledger's certified "
        "(aid) and uncertified sales, which must add up to it."
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
            + result.total("sponsored")
        )
        # Voucher parts paid by sponsors' budgets (``orders.vouchers``), shown only when there are any.
        sponsored = result.total("sponsored")
        sponsored_text = f" + vouchers' sponsors {fen_to_yuan(sponsored)}" if sponsored else ""
        self.stdout.write(f"Aid ledger reconciliation {period}")
        self.stdout.write(
            f"  ledger: credits {fen_to_yuan(result.credits)} - debits {fen_to_yuan(result.debits)}"
            f" = {fen_to_yuan(ledger)}"
        )
        self.stdout.write(
            f"  money:  payments {fen_to_yuan(result.total('payments'))}"
            f" - refunds {fen_to_yuan(result.total('refunds'))}"
            f" - shipping captured {fen_to_yuan(result.total('shipping_captured'))}"
            f" + shipping refunded {fen_to_yuan(result.total('shipping_refunded'))}"
            f" + counter sales {fen_to_yuan(result.total('counter_sales'))}{sponsored_text} = {fen_to_yuan(money)}"
        )
        self.stdout.write(
            f"  aid:    certified {fen_to_yuan(result.certified)}"
            f" + uncertified {fen_to_yuan(result.uncertified)}"
            f" = {fen_to_yuan(result.certified + result.uncertified)}"
        )
        differences = result.differences
        if result.split_differs:
            self.stdout.write(
                f"  MISMATCH certified + uncertified = {fen_to_yuan(result.certified + result.uncertified)},"
                f" ledger {fen_to_yuan(ledger)}"
            )
        if not differences and not result.split_differs:
            self.stdout.write(self.style.SUCCESS("  balanced"))
            return
        for document in differences:
            self.stdout.write(
                f"  MISMATCH {document.reference}: ledger {fen_to_yuan(document.ledger)},"
                f" expected {fen_to_yuan(document.expected)}"
                f" (payments {fen_to_yuan(document.payments)}, refunds {fen_to_yuan(document.refunds)},"
                f" shipping {fen_to_yuan(document.shipping_captured - document.shipping_refunded)},"
                f" counter {fen_to_yuan(document.counter_sales)}), difference {fen_to_yuan(document.difference)}"
            )
            for label, expected, ledger in document.differing_lines:
                self.stdout.write(f"    line {label}: ledger {fen_to_yuan(ledger)}, expected {fen_to_yuan(expected)}")
        if not differences:
            raise CommandError("the certified and uncertified sales do not add up to the ledger", returncode=1)
        raise CommandError(f"{len(differences)} difference(s) between the aid ledger and the money", returncode=1)
