"""`make bench`: load a scaled catalogue, serve it with gunicorn, load it with wrk, report ratios."""
