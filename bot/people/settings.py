"""Pausing, resuming and looking at one's settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.base.times import local_now
from bot.base.timezones import describe_zone
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button
from bot.chat.outbox import Outbox
from bot.people import recap_day
from bot.people.schedules import checkin_times, format_local, format_times, next_checkin_at
from bot.people.users import is_paused
from bot.store.models import User

MAX_PAUSE_DAYS = 90


async def pause(session: AsyncSession, user: User, args: str, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    words = args.split()
    if not words:
        user.paused, user.paused_until = True, None
        outbox.send(t("paused_open"))
        return outbox
    if len(words) != 1 or not words[0].isdigit() or not 1 <= int(words[0]) <= MAX_PAUSE_DAYS:
        outbox.send(t("pause_bad_days"))
        return outbox
    user.paused, user.paused_until = True, now + timedelta(days=int(words[0]))
    user.updated_at = now
    outbox.send(t("paused_days", until=format_local(user.paused_until, user.timezone, now)))
    return outbox


async def resume(session: AsyncSession, user: User, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    was_paused = is_paused(user, now)
    user.paused, user.paused_until, user.skip_date = False, None, None
    user.updated_at = now
    upcoming = await next_checkin_at(session, user)
    next_local = format_local(upcoming, user.timezone, now) if upcoming else "-"
    outbox.send(t("resumed" if was_paused else "not_paused", next_local=next_local))
    return outbox


async def show_settings(session: AsyncSession, user: User, now: datetime) -> Outbox:
    outbox = Outbox()
    assert user.timezone is not None
    if is_paused(user, now):
        status = (
            t("settings_status_paused", until=format_local(user.paused_until, user.timezone, now))
            if user.paused_until
            else t("settings_status_paused_open")
        )
    else:
        status = t("settings_status_active")
    text = t(
        "settings",
        zone=describe_zone(user.timezone, now),
        local_time=local_now(now, user.timezone).strftime("%H:%M"),
        times=format_times(await checkin_times(session, user)) or "-",
        recap=await recap_day.current_setting(session, user),
        status=status,
    )
    buttons = (
        (Button(t("settings_change_timezone_button"), simple_data("settings", "tz")),),
        (Button(t("settings_change_times_button"), simple_data("settings", "times")),),
        (Button(t("settings_change_recap_button"), simple_data("settings", "recap")),),
    )
    outbox.send(text, buttons)
    return outbox
