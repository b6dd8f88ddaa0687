"""The demo: ``manage.py load_demo`` builds the catalogue, stock and pages of the programme's merchants."""
