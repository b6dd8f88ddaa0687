"""The consumption-aid ledger: credits and debits written with the sales and refunds (``services``), who sees
them (``scopes``), which of them count as aid (``selectors``: the certified ones), reports (``reports``),
merchants' statements (``statements``), certificates (``certificates``), the public impact figures
(``impact``) and reconciliation with the money (``reconciliation``). The models live in ``orders.models.aid``."""

from orders.aid.certificates import (
    certificate_expired,
    expired_certificate_condition,
    expired_certificates,
    hidden_for_expired_certificate,
    is_hidden_for_expired_certificate,
)
from orders.aid.impact import (
    IMPACT_TAG,
    Amount,
    ImpactFigures,
    compute_impact_figures,
    impact_figures,
    mark_impact_stale,
)
from orders.aid.reconciliation import Document, Reconciliation, reconcile
from orders.aid.reports import (
    CHOICE_LABELS,
    DIMENSIONS,
    PERIODS,
    Report,
    ReportRow,
    certification_split,
    day_start,
    in_period,
    period_label,
    report,
    report_totals,
)
from orders.aid.scopes import entries_for_user, settlements_for_user
from orders.aid.selectors import CERTIFIED, UNCERTIFIED, certified_entries, uncertified_entries, with_certification
from orders.aid.services import (
    SettlementError,
    backfill,
    check_certificates,
    credit_counter_sale,
    credit_order,
    debit_refund,
    paid_at,
    settle,
)
from orders.aid.settings import aid_settings
from orders.aid.statements import (
    Statement,
    platform_fee,
    settled_statement,
    statement,
    summarise,
    unsettled_entries,
)

__all__ = [
    "CERTIFIED",
    "CHOICE_LABELS",
    "DIMENSIONS",
    "IMPACT_TAG",
    "PERIODS",
    "UNCERTIFIED",
    "Amount",
    "Document",
    "ImpactFigures",
    "Reconciliation",
    "Report",
    "ReportRow",
    "SettlementError",
    "Statement",
    "aid_settings",
    "backfill",
    "certificate_expired",
    "certification_split",
    "certified_entries",
    "check_certificates",
    "compute_impact_figures",
    "credit_counter_sale",
    "credit_order",
    "day_start",
    "debit_refund",
    "entries_for_user",
    "expired_certificate_condition",
    "expired_certificates",
    "hidden_for_expired_certificate",
    "impact_figures",
    "in_period",
    "is_hidden_for_expired_certificate",
    "mark_impact_stale",
    "paid_at",
    "period_label",
    "platform_fee",
    "reconcile",
    "report",
    "report_totals",
    "settle",
    "settled_statement",
    "settlements_for_user",
    "statement",
    "summarise",
    "uncertified_entries",
    "unsettled_entries",
    "with_certification",
]
