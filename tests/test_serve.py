"""`kpibot serve` as the quick start runs it: a fresh directory, the embedded SQLite default."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.server import free_port

KPIBOT = str(Path(sys.executable).with_name("kpibot"))


def test_serve_starts_on_the_sqlite_default_and_says_what_is_off(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPIBOT_", "SLACK_"))}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [KPIBOT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # a loaded shared 2-core machine takes ~30 s
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "kpibot serve did not answer /healthz"
            time.sleep(0.1)
        refused = httpx.post(f"http://127.0.0.1:{port}/api/v1/responses", json={})
        assert refused.status_code == 503
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert (tmp_path / "kpibot.db").exists()
    assert "HTTP API off: set KPIBOT_INGEST_TOKEN" in err
    assert "serving on http://127.0.0.1:" in err
