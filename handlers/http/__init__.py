"""The HTTP app (FastAPI): `/healthz`, the bearer token, and every feature's routers."""
