"""The counter console: pickup orders from preparation to hand-over, and walk-in counter sales."""
