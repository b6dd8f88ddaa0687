"""Cart, orders, payments, fulfilments and the aid ledger arrive with the order issues."""
