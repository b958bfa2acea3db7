"""``gutback run | chat | migrate`` (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import MissingSetting, Settings
from bot.logs import setup_logging

log = logging.getLogger("gutback")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gutback", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the Telegram bot (long polling)")
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not upgrade the database schema at start (run `gutback migrate` once instead)",
    )
    commands.add_parser("chat", help="try the bot in this terminal, no Telegram token needed")
    commands.add_parser("migrate", help="upgrade the database schema to the newest version")
    args = parser.parse_args(argv)

    settings = Settings()
    setup_logging(settings.log_level)
    try:
        if args.command == "run":
            return _run(settings, migrate_on_start=False if args.no_migrate else None)
        if args.command == "chat":
            from bot.terminal import run_chat

            asyncio.run(run_chat(settings))
            return 0
        if args.command == "migrate":
            from bot.db import migrate

            asyncio.run(migrate(settings.database_url))
            print("database is up to date")
            return 0
    except MissingSetting as error:
        print(f"gutback: {error}", file=sys.stderr)
        return 2
    return 1


def _run(settings: Settings, *, migrate_on_start: bool | None) -> int:
    settings.require_token()
    from handlers.app import build_application

    application = build_application(settings, migrate_on_start=migrate_on_start)
    log.info("starting long polling")
    application.run_polling(allowed_updates=["message", "callback_query"])
    return 0
