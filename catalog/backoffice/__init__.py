"""The back office in the Wagtail admin: catalogue, stock, ledger and CSV files, scoped per merchant."""
