# Dexiu Market (德秀集市): the web, worker and beat image. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# gettext compiles the translations at build time.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Settings refuse to load without SECRET_KEY; this throwaway one exists only during these build steps.
RUN SECRET_KEY=build-only-not-used-at-run-time-0123456789abcdefghijklmnop \
        python manage.py compilemessages --ignore '.venv/*' \
    && SECRET_KEY=build-only-not-used-at-run-time-0123456789abcdefghijklmnop \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/media-private \
    && chown -R app:app /app/media /app/media-private

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
