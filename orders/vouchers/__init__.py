"""Consumption vouchers (消费券) funded by a programme budget: batches, claims, redemption online and at counters."""
