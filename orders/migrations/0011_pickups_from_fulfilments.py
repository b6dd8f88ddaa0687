"""Every existing order gets one pickup per counter: its pickup parts there share it.

The pickup keeps the code the customer was already sent (the first part marked ready, by id) unless another open
pickup has it already; otherwise it gets a new random code. Its guard keeps the highest count of wrong codes and
the latest lock of its parts; its times follow its parts (ready when every part not cancelled is, handed over
when every one was collected, closed when none is open).
"""

import secrets
from collections import defaultdict

from django.db import migrations
from django.db.models import OuterRef, Subquery

FINAL = {"completed", "cancelled"}
READY_OR_COLLECTED = {"ready_for_pickup", "completed"}
BATCH = 1000


def _new_code(taken: set[str]) -> str:
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if code not in taken:
            return code


def _pickup(Pickup, order_id, location_id, parts, taken):
    """parts: (status, code, failures, locked_until, updated_at, created_at) of each part, by id."""
    live = [part for part in parts if part[0] != "cancelled"]
    last_change = max(part[4] for part in parts)
    closed = all(part[0] in FINAL for part in parts)
    codes = [part[1] for part in parts if part[1]]
    if closed:
        code = codes[0] if codes else _new_code(set())
    else:
        code = next((code for code in codes if code not in taken), None) or _new_code(taken)
        taken.add(code)
    locks = [part[3] for part in parts if part[3] is not None]
    return Pickup(
        order_id=order_id,
        location_id=location_id,
        code=code,
        handover_failures=max(part[2] for part in parts),
        handover_locked_until=max(locks) if locks else None,
        ready_at=last_change if live and all(part[0] in READY_OR_COLLECTED for part in live) else None,
        handed_over_at=last_change if live and all(part[0] == "completed" for part in live) else None,
        closed_at=last_change if closed else None,
        created_at=min(part[5] for part in parts),
    )


def pickups_from_fulfilments(apps, schema_editor):
    Fulfilment = apps.get_model("orders", "Fulfilment")
    Pickup = apps.get_model("orders", "Pickup")
    groups = defaultdict(list)
    rows = (
        Fulfilment.objects.filter(method="pickup", pickup__isnull=True)
        .order_by("pk")
        .values_list(
            "order_id",
            "location_id",
            "status",
            "pickup_code",
            "handover_failures",
            "handover_locked_until",
            "updated_at",
            "created_at",
        )
    )
    for order_id, location_id, *part in rows.iterator(chunk_size=BATCH):
        groups[(order_id, location_id)].append(part)
    taken: set[str] = set()
    # Open pickups first (they need unique codes), oldest first: they keep the codes their customers were sent.
    ordered = sorted(groups.items(), key=lambda item: all(part[0] in FINAL for part in item[1]))
    pickups = [_pickup(Pickup, order_id, location_id, parts, taken) for (order_id, location_id), parts in ordered]
    Pickup.objects.bulk_create(pickups, batch_size=BATCH)
    Fulfilment.objects.filter(method="pickup", pickup__isnull=True).update(
        pickup_id=Subquery(
            Pickup.objects.filter(order_id=OuterRef("order_id"), location_id=OuterRef("location_id")).values("pk")[:1]
        )
    )


def codes_back_to_fulfilments(apps, schema_editor):
    """Undo: each part ready or collected shows its pickup's code again, and carries its guard; the pickups go."""
    Fulfilment = apps.get_model("orders", "Fulfilment")
    Pickup = apps.get_model("orders", "Pickup")
    pickup = Pickup.objects.filter(pk=OuterRef("pickup_id"))
    parts = Fulfilment.objects.filter(pickup__isnull=False)
    parts.update(
        handover_failures=Subquery(pickup.values("handover_failures")[:1]),
        handover_locked_until=Subquery(pickup.values("handover_locked_until")[:1]),
    )
    parts.filter(status__in=READY_OR_COLLECTED).update(pickup_code=Subquery(pickup.values("code")[:1]))
    parts.update(pickup=None)
    Pickup.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_pickups"),
    ]

    operations = [
        migrations.RunPython(pickups_from_fulfilments, codes_back_to_fulfilments),
    ]
