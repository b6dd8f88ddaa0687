"""The aid settings (platform fee, hiding expired certificates) as plain values, cached."""

from typing import Any

from django.core.cache import cache

from orders.models import AID_SETTINGS_CACHE_KEY, AidSettings

SETTINGS_CACHE_SECONDS = 300


def aid_settings() -> dict[str, Any]:
    """The aid settings as plain values, cached (dropped when the settings are saved)."""
    values = cache.get(AID_SETTINGS_CACHE_KEY)
    if values is None:
        current = AidSettings.load()
        values = {
            "platform_fee_basis_points": current.platform_fee_basis_points,
            "hide_expired_products": current.hide_expired_products,
        }
        cache.set(AID_SETTINGS_CACHE_KEY, values, SETTINGS_CACHE_SECONDS)
    return values
