"""Once a long-lived process (a gunicorn worker, a Celery worker) has loaded the site.

A loaded process holds about 420,000 objects that live as long as it does (Django, Wagtail, the models, the URL
patterns and the views). Python's full garbage collection walks every one of them, about 200 ms with the GIL held,
and every thread of that process waits meanwhile: a stall in the slowest requests of a busy sale. They are frozen
once loaded (``gc.freeze``), so that a full collection walks only what was made since, a few milliseconds.
"""

import gc

from django.urls import get_resolver


def freeze_loaded_objects(*, views: bool = True) -> int:
    """Collect, then freeze what is left; with ``views`` first load every view (the URL patterns, as the first
    request would). Returns how many objects are frozen.

    Call it once, when the process has loaded what it runs and before it serves.
    """
    if views:
        get_resolver().url_patterns  # noqa: B018 -- imports the URL modules and their views now
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
