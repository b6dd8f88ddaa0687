"""Stripe payments: PaymentIntents, verified webhooks, reconciliation, refunds, and the demo stand-in."""
