"""The survey pictures of the README, made from real output: a round run on a throwaway SQLite
file through the surveys' own store and worker (members queued, DMs settled, 14 answers taken,
the round closed, its result computed by the KPI engine), then the DM and the result message,
as the Block Kit kpibot posts, drawn as Slack shows them (matplotlib, object API) and printed
as the terminal renderer writes them.

    .venv/bin/python -m demo.surveys docs/
"""

from __future__ import annotations

import re
import sys
import tempfile
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from handlers.deps import Deps
from handlers.slack.blocks import Message
from handlers.slack.terminal import render
from handlers.surveys.blocks import result_message, survey_dm
from handlers.surveys.jobs import new_round
from handlers.surveys.worker import asking_of, round_result
from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.surveys.store import (
    answer,
    claim_listing,
    claim_send,
    close_round,
    get_round,
    open_round,
    pending_sends,
    settle_send,
    store_members,
)

OPENS = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SCORES = (10, 9, 9, 10, 8, 7, 9, 3, 6, 10, 8, 9, 5, 10)
ASKED = 18
EMOJI = {":lock:": "", ":white_check_mark:": "✔", ":wave:": "", ":bar_chart:": ""}


def run_round(deps: Deps) -> tuple[Message, Message]:
    """A round of 18 members with 14 answers, through the store; its DM and its result."""
    team = "support-care"
    with session_scope(deps.sessions) as session:
        round_id = open_round(
            session=session,
            round_=new_round(
                team_id="T0DEMO",
                channel_id="C0SUPPORT",
                channel_name=team,
                kind="enps",
                question=None,
                team=team,
                open_for=timedelta(days=7),
                now=OPENS,
            ),
        )
        assert round_id is not None
        claimed = claim_listing(session=session, claimer="demo", now=OPENS, stale_before=OPENS)
        assert claimed is not None
        users = [f"U0DEMO{i:02d}" for i in range(ASKED)]
        store_members(session=session, round_id=round_id, claimer="demo", user_ids=users)
    with session_scope(deps.sessions) as session:
        for send_id in pending_sends(session=session, limit=ASKED):
            send = claim_send(session=session, send_id=send_id, claimer="demo", now=OPENS)
            assert send is not None
            settle_send(session=session, send=send, fate="posted")
    for user, score in zip(users, SCORES, strict=False):
        with session_scope(deps.sessions) as session:
            answer(session=session, round_id=round_id, user_id=user, score=score, now=OPENS)
    with session_scope(deps.sessions) as session:
        round_ = get_round(session=session, round_id=round_id)
        assert round_ is not None
        dm = survey_dm(asking_of(round_, deps), deps.settings.language)
        close_round(session=session, round_id=round_id, now=OPENS + timedelta(days=7))
    with session_scope(deps.sessions) as session:
        closed = get_round(session=session, round_id=round_id)
        assert closed is not None
        session.refresh(closed)
    return dm, result_message(round_result(deps, closed), deps.settings.language)


def _plain(text: str) -> tuple[str, bool]:
    """mrkdwn as drawn text: emoji codes mapped, `<#C…>` as #channel, bold markers dropped."""
    for code, glyph in EMOJI.items():
        text = text.replace(code, glyph)
    text = re.sub(r"<#C[A-Z0-9]+(?:\|([^>]*))?>", lambda m: f"#{m[1] or 'support-care'}", text)
    bold = text.strip().startswith("*")
    return text.replace("*", "").replace("`", "").strip(), bold


def draw(message: Message, path: Path, title: str) -> None:
    """One message as Slack shows it: kpibot's name, then each block."""
    items: list[tuple[str, Any]] = []
    for block in message.blocks:
        kind = block["type"]
        if kind == "header":
            items.append(("header", block["text"]["text"]))
        elif kind == "section":
            for line in block["text"]["text"].split("\n"):
                items.append(("text", line))
        elif kind == "actions":
            items.append(("buttons", [e["text"]["text"] for e in block["elements"]]))
        elif kind == "context":
            for element in block["elements"]:
                items.append(("context", element["text"]))
    lines = []
    for kind, content in items:
        if kind == "buttons":
            lines.append((kind, content))
            continue
        text, bold = _plain(content)
        width = 62 if kind != "context" else 84
        for part in textwrap.wrap(text, width) or [""]:
            lines.append((kind, (part, bold)))
    step = {"header": 0.42, "text": 0.34, "buttons": 0.55, "context": 0.3}
    height = 0.9 + sum(step[k] for k, _ in lines)
    figure = Figure(figsize=(7.2, height), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 7.2)
    axes.set_ylim(0, height)
    axes.axis("off")
    figure.patch.set_facecolor("white")
    y = height - 0.35
    axes.add_patch(FancyBboxPatch((0.2, y - 0.28), 0.4, 0.4, "round,pad=0.02", color="#2c3e50"))
    axes.text(0.4, y - 0.08, "K", color="white", ha="center", va="center", weight="bold")
    axes.text(0.75, y, "kpibot", weight="bold", fontsize=11, va="center")
    axes.text(1.5, y, f"APP  {title}", color="#616061", fontsize=8, va="center")
    y -= 0.5
    for kind, content in lines:
        if kind == "header":
            text, _ = content
            axes.text(0.75, y, text, weight="bold", fontsize=12, va="center")
        elif kind == "text":
            text, bold = content
            axes.text(0.75, y, text, fontsize=10, va="center", weight="bold" if bold else "normal")
        elif kind == "context":
            text, _ = content
            axes.text(0.75, y, text, fontsize=8, color="#616061", va="center")
        else:
            x = 0.75
            for label in content:
                axes.add_patch(
                    FancyBboxPatch(
                        (x, y - 0.17),
                        0.42,
                        0.34,
                        "round,pad=0.02,rounding_size=0.06",
                        facecolor="white",
                        edgecolor="#bbbbbb",
                    )
                )
                axes.text(x + 0.21, y, label, ha="center", va="center", fontsize=10)
                x += 0.52
        y -= step[kind]
    figure.savefig(path, format="png", facecolor="white")


def main(directory: str) -> None:
    """Run the round and write the two pictures; print the messages as text."""
    out = Path(directory)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'surveys.db'}"
        upgrade(url)
        settings = Settings(database_url=url, timezone="Europe/Paris")
        engine = make_engine(url)
        try:
            deps = Deps(settings, engine, make_session_factory(engine), clock=lambda: OPENS)
            dm, result = run_round(deps)
        finally:
            engine.dispose()
    draw(dm, out / "survey-dm.png", "the DM each member gets")
    draw(result, out / "survey-result.png", "in #support-care at the close")
    print(render(dm))
    print()
    print(render(result, shared=True))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
