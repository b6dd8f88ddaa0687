"""The outbox's to-do panel on the back-office dashboard: notifications that failed for good (operators)."""
