"""`python -m bench NAME [options]` (or `make bench ARGS="NAME …"`): run one benchmark."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "ingest": "bench.ingest",
    "charts": "bench.charts",
    "insights": "bench.insights",
    "query": "bench.query",
    "segments": "bench.segments",
    "slack": "bench.slack_latency",
    "words": "bench.words",
    "webhooks": "bench.webhooks",
    "surveys": "bench.surveys",
}


def main(argv: list[str]) -> int:
    """Dispatch to the named benchmark's own `main(argv)`."""
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: python -m bench {{{'|'.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[argv[0]])
    result: int = module.main(argv[1:])
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
