# kpibot's image: one image, two commands (`kpibot serve` for the web replicas, `kpibot
# scheduler` for the jobs). Not built on the development machines (they reach no registry of
# base images); tests/test_deployment.py checks this file and docker-compose.yml instead.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KPIBOT_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md bot.py settings.py ./
COPY query ./query
COPY kpis ./kpis
COPY storage ./storage
COPY handlers ./handlers
COPY demo ./demo
COPY slack ./slack
RUN pip install . \
    && useradd --system --create-home --uid 10001 --shell /usr/sbin/nologin kpibot \
    && mkdir -p /data \
    && chown kpibot /data

USER kpibot
# SQLite (a single replica only) keeps its file here; PostgreSQL deployments ignore it.
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:////data/kpibot.db
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["kpibot", "serve", "--host", "0.0.0.0", "--port", "8000"]
