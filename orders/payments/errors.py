"""Errors every provider's code shares (kept apart from the providers so any payment module can raise them)."""


class ProviderUnavailable(Exception):
    """A provider's API failed (down, an error answer, a badly signed answer): the shopper is asked to try again
    shortly, a task retries later. The message is for the log, never for the shopper."""
