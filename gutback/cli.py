"""``gutback run|chat|migrate|set-webhook``, also ``python -m gutback`` or ``python -m bot``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.base.config import MissingSetting, Settings
from bot.base.logs import setup_logging
from bot.store.db import MigrationFailed, is_unavailable, schema_problem

log = logging.getLogger("gutback")


#: What ``gutback --help`` says: plain text, since argparse prints it as it is.
DESCRIPTION = (
    "gutback, a Telegram diary for back pain and digestion. "
    "Also runs as: python -m gutback, python -m bot."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gutback", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the Telegram bot (long polling by default)",
        description="Run the Telegram bot: long polling, or a webhook server with --webhook.",
    )
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not upgrade the database schema at start (run 'gutback migrate' once instead)",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates over HTTP from Telegram (GUTBACK_WEBHOOK_* settings) instead of "
        "long polling",
    )
    commands.add_parser(
        "chat",
        help="try the bot in this terminal, no Telegram token needed",
        description="Try the bot in this terminal, no Telegram token needed. The diary is kept "
        "in gutback-chat.db and files the bot sends are saved in gutback-files/. Type a "
        "button's letter to press it; Ctrl-D or Ctrl-C quits.",
    )
    commands.add_parser(
        "migrate",
        help="upgrade the database schema to the newest version",
        description="Upgrade the database schema (DATABASE_URL) to the newest version.",
    )
    commands.add_parser(
        "set-webhook",
        help="register GUTBACK_WEBHOOK_URL and the secret with Telegram (once per release, "
        "for workers started with GUTBACK_WEBHOOK_REGISTER=false)",
        description="Register GUTBACK_WEBHOOK_URL and the secret with Telegram: once per "
        "release, for workers started with GUTBACK_WEBHOOK_REGISTER=false.",
    )
    analyse = commands.add_parser(
        "analyse",
        help="the insight engine on a diary CSV (the /export format): what the recap would show",
        description="Run the recap's insight engine on a diary file in the /export CSV format "
        "(columns by name: date, pain, stress, sleep, symptom_*, food_*, med_*; others are "
        "ignored, missing ones read as not recorded) and print the links the recap would show.",
    )
    analyse.add_argument("diary", metavar="DIARY.csv", help="the diary file")
    analyse.add_argument("--json", action="store_true", help="print JSON instead of sentences")
    analyse.add_argument(
        "--experiment",
        metavar="PLAN.json",
        help='judge an experiment plan: {"outcome": "pain", "days": {"YYYY-MM-DD": '
        '"usual" | "swap", ...}}; adds verdict, effect and interval',
    )
    args = parser.parse_args(argv)
    if args.command == "analyse":  # needs no settings, database or token
        return _analyse(args)

    settings = Settings()
    setup_logging(settings.log_level)
    try:
        if args.command == "run":
            migrate_on_start = False if args.no_migrate else None
            if args.webhook:
                return _run_webhook(settings, migrate_on_start=migrate_on_start)
            return _run(settings, migrate_on_start=migrate_on_start)
        if args.command == "chat":
            from gutback import terminal

            return terminal.main(settings)
        if args.command == "migrate":
            from bot.store.db import migrate

            asyncio.run(migrate(settings.database_url))
            print("database is up to date")
            return 0
        if args.command == "set-webhook":
            return _set_webhook(settings)
    except MissingSetting as error:
        print(f"gutback: {error}", file=sys.stderr)
        return 2
    except MigrationFailed as error:
        print(f"gutback: could not bring the database schema up to date: {error}", file=sys.stderr)
        return 2
    except SchemaNotCurrent as error:
        print(
            f"gutback: the database schema is {error}: run `gutback migrate` first",
            file=sys.stderr,
        )
        return 2
    return 1


class SchemaNotCurrent(RuntimeError):
    """A start that does not migrate found no schema, or an older one: it must not serve."""


def _require_schema(settings: Settings, migrate_on_start: bool | None) -> None:
    """Before polling or serving: a start that does not migrate needs this release's schema.

    Otherwise every update and every sweep would fail with "relation does not exist".
    """
    from handlers.app import migrates_at_start

    if migrates_at_start(settings, migrate_on_start):
        return
    try:
        problem = asyncio.run(schema_problem(settings.database_url))
    except Exception as error:
        if not is_unavailable(error):
            raise
        # The bot rides out an outage (it asks people to try again); it cannot check now.
        log.warning(
            "schema not checked at start: database unavailable",
            extra={"error": type(error).__name__},
        )
        return
    if problem is not None:
        raise SchemaNotCurrent(problem)


def _run(settings: Settings, *, migrate_on_start: bool | None) -> int:
    settings.require_token()
    _require_schema(settings, migrate_on_start)
    from telegram.error import InvalidToken, NetworkError

    from handlers.app import build_application
    from handlers.telegram import ALLOWED_UPDATES

    application = build_application(settings, migrate_on_start=migrate_on_start)
    log.info("starting long polling")
    try:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        print(
            "gutback: Telegram refused TELEGRAM_BOT_TOKEN (check it with @BotFather)",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        # PTB's message names the network failure, never the token.
        print(f"gutback: cannot reach the Bot API ({error.message})", file=sys.stderr)
        return 1
    return 0


def _run_webhook(settings: Settings, *, migrate_on_start: bool | None) -> int:
    settings.require_token()
    settings.require_webhook(register=settings.webhook_register)
    _require_schema(settings, migrate_on_start)
    from handlers.app import build_application
    from handlers.webhook import WebhookWorker

    application = build_application(settings, migrate_on_start=migrate_on_start)
    worker = WebhookWorker(application, settings)
    log.info("starting in webhook mode")
    asyncio.run(worker.run(register=settings.webhook_register))
    return 0


def _set_webhook(settings: Settings) -> int:
    settings.require_token()
    settings.require_webhook(register=True)
    from telegram.error import TelegramError

    from handlers.webhook import set_webhook_once

    try:
        asyncio.run(set_webhook_once(settings))
    except TelegramError as error:
        # Telegram's description names the problem (bad URL, bad secret); it never holds the token.
        print(f"gutback: setWebhook failed: {error.message}", file=sys.stderr)
        return 1
    print(f"webhook set: {settings.webhook_endpoint}")
    return 0


def _read_text(path: Path) -> str | None:
    """A file given on the command line as text, or ``None`` after one clear line on stderr."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        print(f"gutback: cannot read {path}: {error.strerror or error}", file=sys.stderr)
    except UnicodeDecodeError:
        print(f"gutback: {path} is not a UTF-8 text file", file=sys.stderr)
    return None


def _analyse(args: argparse.Namespace) -> int:
    """``gutback analyse``: read the file and run the engine (both core), print; 2 on a bad file.

    Options that add to the answer (an experiment plan) add their part to ``answer`` and
    ``lines`` here; the reading and the statistics stay in the core.
    """
    import json

    from bot.insights.diary_file import DiaryFileError, analysis_json, read_diary_csv
    from bot.insights.engine import analyse
    from bot.insights.links import links_section

    path = Path(args.diary)
    text = _read_text(path)
    if text is None:
        return 2
    try:
        records = read_diary_csv(text)
    except DiaryFileError as error:
        print(f"gutback: {path}: {error}", file=sys.stderr)
        return 2
    analysis = analyse(records)
    answer = analysis_json(analysis)
    lines = links_section(analysis)
    if args.experiment:
        from bot.experiments.plan_file import PlanError, analyse_files, plan_lines

        plan = Path(args.experiment)
        plan_text = _read_text(plan)
        if plan_text is None:
            return 2
        try:
            answer.update(analyse_files(text, plan_text))
        except PlanError as error:
            print(f"gutback: {plan}: {error}", file=sys.stderr)
            return 2
        lines = [*lines, "", *plan_lines(answer)]
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        print("\n".join(lines))
    return 0
