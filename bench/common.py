"""What the benchmarks share: a `kpibot serve` child process, and the 1M + 1M dataset file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.server import free_port

KPIBOT = str(Path(sys.executable).with_name("kpibot"))


@contextmanager
def kpibot_server(env: dict[str, str]) -> Iterator[str]:
    """`kpibot serve` on a free loopback port with these extra variables; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [KPIBOT, "serve", "--port", str(port)],
        env={**os.environ, "NO_PROXY": "*", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine starts it in 30 s
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("kpibot serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def dataset(path: Path, responses: int, tickets: int) -> str:
    """The SQLite URL of the benchmark dataset, filled once (a stamp file marks it complete)."""
    from bench.query import fill
    from storage.migrate import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path.resolve()}"
    stamp = path.with_suffix(f".{responses}-{tickets}.v2.ok")  # v2: plan, channel, region
    if not stamp.exists():
        path.unlink(missing_ok=True)
        upgrade(url)
        started = time.perf_counter()
        fill(url, responses, tickets)
        print(f"filled {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        stamp.touch()
    return url
