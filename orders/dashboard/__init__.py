"""The orders' to-do panels on the back-office dashboard: parts to ship and sales (merchants), the counter's
queue and sales (counter staff), flagged orders and settlements due (operators)."""
