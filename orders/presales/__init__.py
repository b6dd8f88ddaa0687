"""Harvest pre-sales on the orders side: receiving the harvest, refunding a shortfall (``services``)."""
