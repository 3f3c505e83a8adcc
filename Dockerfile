# salesbot: the bot, or a --work-only worker, against the PostgreSQL at DATABASE_URL.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEBHOOK_LISTEN=0.0.0.0:8080

WORKDIR /app
COPY pyproject.toml README.md ./
COPY agent ./agent
COPY tools ./tools
COPY db ./db
COPY prompts ./prompts
RUN pip install . && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin salesbot

USER salesbot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["salesbot", "run"]
