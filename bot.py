"""kpibot's composition root and command line.

Builds settings, engine, sessions, the FastAPI app (and, when configured, the Slack app and the
scheduler) and hands them down. No business logic lives here.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import click
from apscheduler.schedulers.base import BaseScheduler
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from handlers.deps import Deps
from handlers.jobs.scheduler import JobSetup
from settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

log = logging.getLogger("kpibot")


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a bad value into a readable CLI error."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            name = ".".join(str(p) for p in error["loc"]).upper()
            lines.append(f"  {name}: {error['msg']}")
        raise click.ClickException("invalid settings:\n" + "\n".join(lines)) from exc


def build_deps(settings: Settings) -> Deps:
    """The engine, session factory and clock every handler shares."""
    engine = make_engine(settings.database_url)
    return Deps(settings=settings, engine=engine, sessions=make_session_factory(engine))


def tune_gc() -> None:
    """Make Python's cyclic garbage collector cheap for batch work.

    A 10,000-record ingest request or an import batch allocates hundreds of thousands of small
    containers; with the default thresholds the collector runs every 700 allocations and its
    full passes rescan everything the process holds, which measured as a third of the ingest
    time. Objects alive after start-up are frozen (never rescanned) and young collections run
    every 50,000 allocations instead. Reference counting still frees almost everything at once.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_app(settings: Settings, deps: Deps | None = None):  # type: ignore[no-untyped-def]
    """The ASGI app `kpibot serve` runs: the HTTP API (and the Slack app when configured)."""
    from handlers.http.app import create_api

    deps = deps or build_deps(settings)
    api = create_api(deps)
    if settings.slack_enabled and settings.slack_mode == "http":
        from handlers.slack.app import build_bolt_app, mount

        mount(api, build_bolt_app(deps))
    return api


def job_setups(slack: bool = True) -> list[JobSetup]:
    """Every part's scheduled jobs, in the order they are added (without Slack: rollups only)."""
    from handlers.alerts.jobs import setup as alerts
    from handlers.digests.jobs import setup as digests
    from handlers.jobs.rollups import setup as rollups

    return [rollups, digests, alerts] if slack else [rollups]


def build_scheduler_for(deps: Deps) -> BaseScheduler:
    """The scheduler with every part's jobs, posting with the once-only Slack client.

    Without SLACK_BOT_TOKEN it runs only the jobs that need no Slack (the daily rollups).
    """
    from handlers.jobs.scheduler import build_scheduler
    from handlers.slack.posting import once_client

    slack = deps.settings.slack_bot_token is not None
    return build_scheduler(deps, once_client(deps.settings), job_setups(slack))


def startup_notes(settings: Settings) -> list[str]:
    """One line for each part that is off, naming the settings that turn it on."""
    notes = []
    if settings.ingest_token is None:
        notes.append(
            "HTTP API off: set KPIBOT_INGEST_TOKEN to accept ingest and KPI calls "
            "(Authorization: Bearer <token>)"
        )
    if not settings.slack_enabled:
        notes.append(
            "Slack off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN with "
            "KPIBOT_SLACK_MODE=socket) to answer slash commands"
        )
    if settings.slack_bot_token is None:
        notes.append("digests and alerts off: they need SLACK_BOT_TOKEN to post")
    return notes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """kpibot: customer-experience KPIs in Slack."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


DEMO_DATABASE = Path("kpibot-demo.db")
DEMO_QUESTIONS = ("/nps last-30d", "/kpi frt last-week by channel")


def build_demo(path: Path, *, seed: int, days: int, quiet: bool = False) -> str:
    """Create a fresh SQLite file at `path` with the seeded history; return its URL."""
    from demo.load import load_demo
    from demo.synthetic import default_end

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    upgrade(url)
    deps = build_deps(load_settings(database_url=url))
    try:
        loaded = load_demo(sessions=deps.sessions, seed=seed, end=default_end(), days=days)
    finally:
        deps.engine.dispose()
    if not quiet:
        click.echo(
            f"demo data in {path}: {loaded.responses:,} survey responses, {loaded.tickets:,} "
            f"tickets, {loaded.counters:,} counter readings over {days} days (seed {seed})",
            err=True,
        )
    return url


@cli.command()
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEMO_DATABASE,
    show_default=True,
    help="SQLite file to (re)create.",
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--days", default=365, show_default=True, type=click.IntRange(7, 3 * 365))
@click.option("--force", is_flag=True, help="Replace --database even if it is not the demo's.")
def demo(database: Path, seed: int, days: int, force: bool) -> None:
    """Fill a fresh SQLite database with a realistic year of data and show what kpibot answers."""
    from handlers.slack.commands import reply
    from handlers.slack.terminal import render

    if database.exists() and database != DEMO_DATABASE and not force:
        raise click.UsageError(f"{database} exists; pass --force to replace it")
    url = build_demo(database, seed=seed, days=days)
    deps = build_deps(load_settings(database_url=url))
    try:
        for question in DEMO_QUESTIONS:
            command, _, text = question.partition(" ")
            message, shared = reply(deps, command, text)
            click.echo(f"\n$ {question}\n{render(message, shared=shared)}")
        demo_digest(deps, database.with_name(database.stem + "-digest.png"))
    finally:
        deps.engine.dispose()
    click.echo(
        f'\nTry more with DATABASE_URL={url} kpibot ask "/kpi list"',
    )


def demo_digest(deps: Deps, chart_path: Path) -> None:
    """Print the weekly digest of the demo data as Slack would show it; write its chart."""
    from handlers.digests.build import DEFAULT_KPIS
    from handlers.digests.deliver import compose
    from handlers.digests.schedule import digest_period, last_fire, next_fire
    from handlers.slack.terminal import render
    from storage.digest_tables import DigestSubscription

    subscription = DigestSubscription(
        id=0,
        channel_id="C0DEMO",
        cadence="weekly",
        cron="0 9 * * mon",
        timezone=deps.settings.timezone,
        kpis=list(DEFAULT_KPIS),
    )
    now = deps.clock()
    cron, tz = subscription.cron, subscription.timezone
    fire = next_fire(cron, tz, now) or now
    period = digest_period("weekly", cron, tz, fire)
    if period.current.end > now:  # the week is not over: show the digest already due
        fire = last_fire(cron, tz, now) or now
        period = digest_period("weekly", cron, tz, fire)
    _, message, png = compose(deps, subscription, period)
    click.echo(f"\n$ the weekly digest of {fire:%a %d %b %Y} (/kpi digest add #channel)")
    click.echo(render(message, shared=True))
    if png is not None:
        chart_path.write_bytes(png)
        click.echo(f"  (its trend chart, posted in the thread: {chart_path})")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--demo",
    "use_demo",
    is_flag=True,
    help=f"Serve a fresh seeded demo history ({DEMO_DATABASE}) instead of DATABASE_URL.",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Don't run the scheduled jobs here (run `kpibot scheduler` elsewhere).",
)
def serve(host: str, port: int, use_demo: bool, no_scheduler: bool) -> None:
    """Run the HTTP server: ingest API, KPI API and (when configured) the Slack app."""
    import uvicorn

    settings = load_settings()
    if use_demo:
        url = build_demo(DEMO_DATABASE, seed=7, days=365)
        settings = load_settings(database_url=url)
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    for note in startup_notes(settings):
        click.echo(f"kpibot: {note}", err=True)
    deps = build_deps(settings)
    app = create_app(settings, deps)
    tune_gc()
    if settings.slack_enabled and settings.slack_mode == "socket":
        from handlers.slack.app import start_socket_mode

        start_socket_mode(deps)
        click.echo("kpibot: Slack in Socket Mode", err=True)
    scheduler = None
    if not no_scheduler:
        scheduler = build_scheduler_for(deps)
        scheduler.start()
        jobs = "digests, alerts, rollups" if settings.slack_bot_token else "rollups"
        click.echo(f"kpibot: scheduler running ({jobs})", err=True)
    click.echo(f"kpibot: serving on http://{host}:{port} (API docs at /docs)", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@cli.command()
def scheduler() -> None:
    """Run only the scheduled jobs (digests, alerts, rollups), for deployments that keep web apart.

    Any number may run against one database: each delivery is claimed there before posting.
    """
    import signal
    import threading

    settings = load_settings()
    if settings.slack_bot_token is None:
        raise click.ClickException("the scheduler posts to Slack: set SLACK_BOT_TOKEN")
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    jobs = build_scheduler_for(deps)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs.start()
    click.echo("kpibot: scheduler running (digests, alerts, rollups); Ctrl-C stops it", err=True)
    try:
        stop.wait()
    finally:
        jobs.shutdown(wait=True)
        deps.engine.dispose()


@cli.group()
def digest() -> None:
    """Scheduled digests: list them, or post one now."""


@digest.command("list")
def digest_list() -> None:
    """Show every subscription with its schedule, next run and last delivery."""
    from handlers.digests.commands import list_message
    from handlers.slack.terminal import render

    settings = load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    try:
        click.echo(render(list_message(deps)))
    finally:
        deps.engine.dispose()


@digest.command("send")
@click.argument("subscription_id", type=int)
@click.option(
    "--again",
    is_flag=True,
    help="Post a fresh copy even if the latest slot was already sent.",
)
def digest_send(subscription_id: int, again: bool) -> None:
    """Post digest SUBSCRIPTION_ID's latest slot now, with the same claim rules as the scheduler.

    A slot that failed or whose fate is unknown is claimed and posted; one already sent (or
    being sent) is refused unless --again.
    """
    from handlers.digests.deliver import deliver
    from handlers.digests.schedule import last_fire
    from handlers.slack.posting import once_client
    from storage.db import session_scope
    from storage.digests import get_subscription

    settings = load_settings()
    if settings.slack_bot_token is None:
        raise click.ClickException("posting needs SLACK_BOT_TOKEN")
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    try:
        with session_scope(deps.sessions) as session:
            subscription = get_subscription(session=session, subscription_id=subscription_id)
        if subscription is None:
            raise click.ClickException(f"no digest #{subscription_id} (see `kpibot digest list`)")
        now = deps.clock()
        slot = last_fire(subscription.cron, subscription.timezone, now) or now
        result = deliver(
            deps,
            once_client(settings),
            subscription_id,
            slot,
            now=now,
            trigger="manual",
            reclaim=("failed", "unknown", "missed"),
            claim_at=now if again else None,
        )
    finally:
        deps.engine.dispose()
    if result.status == "skipped":
        raise click.ClickException(
            f"digest #{subscription_id} for {slot:%Y-%m-%d %H:%M} UTC: {result.detail} "
            "(--again posts a fresh copy)"
        )
    if result.status != "sent":
        raise click.ClickException(f"digest #{subscription_id}: {result.status}: {result.detail}")
    click.echo(f"digest #{subscription_id} sent (ts {result.message_ts}, chart {result.chart})")


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the migrations to DATABASE_URL."""
    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {make_url(settings.database_url)!r} upgraded to {revision}")


@db.command("rollup")
@click.option("--rebuild", is_flag=True, help="Drop every rollup first and build them all again.")
def db_rollup(rebuild: bool) -> None:
    """Build the daily rollups of every day that ended (the scheduler does it every 5 minutes)."""
    from handlers.jobs.rollups import refresh_now
    from storage.rollups import forget

    settings = load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    if rebuild:
        forget(deps.sessions)
    built = refresh_now(deps)
    for cube, days in built.days.items():
        click.echo(f"{cube}: {days} day(s) built")
    deps.engine.dispose()


def _checked_source(value: str | None) -> str | None:
    from storage.schemas import check_source

    if value is None:
        return None
    try:
        return check_source(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command("import")
@click.argument("kind", type=click.Choice(["responses", "tickets", "metrics"]))
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "jsonl"]),
    help="File format (default: from the name: .csv, .jsonl, .ndjson, optionally .gz).",
)
@click.option(
    "--source",
    callback=lambda _ctx, _param, value: _checked_source(value),
    help="Source of rows that name none (default: import; 1 to 64 characters, no spaces).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows and write the rejected ones, with reasons, to a rejects file.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-invalid writes rejected rows (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Lines read before their rows are validated and written together.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def import_command(
    kind: str,
    path: Path,
    file_format: str | None,
    source: str | None,
    skip_invalid: bool,
    rejects_path: Path | None,
    batch_size: int,
    quiet: bool,
) -> None:
    """Import survey responses, tickets or metrics from a CSV or JSONL FILE.

    Idempotent like the API: re-importing a row with the same (source, external_id) updates it.
    A bad row stops the import with its line number and keeps nothing of the file.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from handlers.alerts.writers import AlertingResponsesWriter
    from handlers.imports import RowError, detect_format, import_file

    settings = load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    try:
        fmt = file_format or detect_format(path)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    deps = build_deps(settings)
    tune_gc()
    console = Console(stderr=True)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task(f"{kind} ← {path.name}", total=path.stat().st_size)
            report = import_file(
                sessions=deps.sessions,
                kind=kind,  # type: ignore[arg-type]
                path=path,
                file_format=fmt,  # type: ignore[arg-type]
                source=source,
                skip_invalid=skip_invalid,
                rejects_path=rejects_path,
                batch_size=batch_size,
                progress=lambda done: progress.update(task, completed=done),
                writer=AlertingResponsesWriter(deps) if kind == "responses" else None,
            )
    except RowError as exc:
        raise click.ClickException(f"{path}: {exc} (nothing of this file was imported)") from exc
    finally:
        deps.engine.dispose()
    click.echo(
        f"{path}: {report.rows} rows imported ({report.created} created, {report.updated} updated)"
    )
    if report.rejected:
        click.echo(
            f"{report.rejected} invalid rows skipped, written with their reasons to "
            f"{report.rejects_path}",
            err=True,
        )
        for error in report.errors[:5]:
            click.echo(f"  {error}", err=True)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--tz", help="Timezone of the period (default: KPIBOT_TIMEZONE).")
def kpi(words: tuple[str, ...], as_json: bool, tz: str | None) -> None:
    """Answer a KPI question: `kpibot kpi nps last-30d plan=enterprise by channel`."""
    import json

    from handlers.cli_render import render
    from handlers.formatting import to_json
    from handlers.kpi_service import KpiError, answer_text

    settings = load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    try:
        result = answer_text(deps=deps, text=" ".join(words), tz=tz)
    except KpiError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        deps.engine.dispose()
    if as_json:
        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(render(result, currency=settings.currency, language=settings.language))


@cli.command()
@click.argument("command_line")
def ask(command_line: str) -> None:
    """Run a slash command through the Slack handlers and print the reply.

    Example: kpibot ask "/kpi frt last-week by channel"
    """
    from handlers.slack.commands import reply
    from handlers.slack.terminal import render

    command, _, text = command_line.strip().partition(" ")
    settings = load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    try:
        message, shared = reply(deps, command, text)
    finally:
        deps.engine.dispose()
    click.echo(render(message, shared=shared))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kpibot")


if __name__ == "__main__":
    main()
