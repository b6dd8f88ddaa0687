"""Merchants' statements: what a merchant is owed for a period, and settled statements as they were.

An online entry of an order paid with WeChat Pay carries the merchant's profit share of that order
(``entry.profit_share``: its ``out_order_no`` and state), and the statement totals what WeChat Pay paid the
merchant directly (``shared``, finished shares) and what it is still paying (``sharing``): that money never passes
through the platform.

A statement is money owed, so it keeps every sale, certified or not; beside its totals it shows the certified
share (``certified_gross`` / ``certified_refunds`` / ``certified_net``: the entries that count as aid, by
``orders.aid.selectors.CERTIFIED``) and the net of uncertified sales (``uncertified_net``), which add up to
gross less refunds.

Entries of an order placed with a coupon are already net of the line's share of the discount (``credit_order``
credits ``OrderLine.paid_total``; refunds debit the paid share), so each merchant's statement shows what its
buyers paid for its goods; who paid for the discount is on the order (``Order.coupon_sponsor``).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet

from catalog.models import Merchant
from orders.aid.reports import day_start
from orders.aid.selectors import with_certified_flag
from orders.models import AidLedgerEntry, ProfitShare, Settlement


@dataclass
class Statement:
    """What a merchant is owed for a period: every entry not yet settled up to the period's end."""

    merchant: Merchant
    period_start: date
    period_end: date
    entries: list[AidLedgerEntry]
    fee_basis_points: int
    gross: int = 0
    refunds: int = 0
    fee: int = 0
    net: int = 0
    carried_over: int = field(default=0)
    shared: int = 0
    sharing: int = 0
    certified_gross: int = 0
    certified_refunds: int = 0
    certified_net: int = 0
    uncertified_net: int = 0


def platform_fee(amount: int, basis_points: int) -> int:
    """The fee on ``amount`` fen at ``basis_points`` (1/100 of a percent), rounded half up; never negative."""
    if amount <= 0 or basis_points <= 0:
        return 0
    return (amount * basis_points + 5000) // 10000


def unsettled_entries(merchant: Merchant, period_end: date) -> QuerySet[AidLedgerEntry]:
    """The merchant's entries up to the end of ``period_end`` that no settlement covers yet, oldest first, each
    with ``is_certified``."""
    return with_certified_flag(
        AidLedgerEntry.objects.filter(merchant=merchant, created_at__lt=day_start(period_end + timedelta(days=1)))
        .filter(settled__isnull=True)
        .select_related("counter")
        .order_by("created_at", "pk")
    )


def statement(merchant: Merchant, period_start: date, period_end: date, *, fee_basis_points: int) -> Statement:
    """The open statement: unsettled entries to ``period_end`` (older unsettled ones are carried over)."""
    entries = list(unsettled_entries(merchant, period_end))
    return with_profit_shares(summarise(Statement(merchant, period_start, period_end, entries, fee_basis_points)))


def with_profit_shares(result: Statement) -> Statement:
    """Attach to each entry the merchant's profit share of its order (None when there is none), and total the
    shares once each: ``shared`` (finished), ``sharing`` (pending or requested)."""
    order_ids = {entry.order_id for entry in result.entries if entry.order_id is not None}
    shares = {
        share.order_id: share
        for share in ProfitShare.objects.filter(merchant=result.merchant, order_id__in=order_ids).order_by("pk")
    }
    for entry in result.entries:
        entry.profit_share = shares.get(entry.order_id)
    result.shared = sum(s.amount for s in shares.values() if s.state == ProfitShare.State.FINISHED)
    open_states = (ProfitShare.State.PENDING, ProfitShare.State.REQUESTED)
    result.sharing = sum(s.amount for s in shares.values() if s.state in open_states)
    return result


def summarise(result: Statement) -> Statement:
    """Totals of the entries (each with ``is_certified``): gross, refunds, fee, net, and the certified share."""
    result.gross = sum(entry.amount for entry in result.entries if entry.amount > 0)
    result.refunds = -sum(entry.amount for entry in result.entries if entry.amount < 0)
    result.fee = platform_fee(result.gross - result.refunds, result.fee_basis_points)
    result.net = result.gross - result.refunds - result.fee
    start = day_start(result.period_start)
    result.carried_over = sum(1 for entry in result.entries if entry.created_at < start)
    return certified_share(result)


def certified_share(result: Statement) -> Statement:
    """The certified share of the statement's entries (aid) and the net of the uncertified ones, apart."""
    certified = [entry.amount for entry in result.entries if entry.is_certified]
    result.certified_gross = sum(amount for amount in certified if amount > 0)
    result.certified_refunds = -sum(amount for amount in certified if amount < 0)
    result.certified_net = result.certified_gross - result.certified_refunds
    result.uncertified_net = sum(entry.amount for entry in result.entries if not entry.is_certified)
    return result


def settled_statement(settlement: Settlement) -> Statement:
    """A settlement as a statement: the entries it covered and the totals recorded when it was settled."""
    entries = list(
        with_certified_flag(AidLedgerEntry.objects.filter(settled__settlement=settlement))
        .select_related("counter")
        .order_by("created_at", "pk")
    )
    result = Statement(
        settlement.merchant, settlement.period_start, settlement.period_end, entries, settlement.fee_basis_points
    )
    result.gross, result.refunds, result.fee, result.net = (
        settlement.gross,
        settlement.refunds,
        settlement.fee,
        settlement.net,
    )
    start = day_start(settlement.period_start)
    result.carried_over = sum(1 for entry in entries if entry.created_at < start)
    return with_profit_shares(certified_share(result))
