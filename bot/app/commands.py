"""The table of commands: one row per command, in the order of Telegram's menu.

Adding a command is one row here (its name, what it needs, its feature, and what to say when
the database is away) plus the feature function, and a ``command_<name>`` line in wording.yaml
for the menu. The front door (:meth:`bot.app.core.GutBack.on_command`) reads this table only;
the Telegram adapter registers the menu from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.app.request import Feature, Needs, Request, unmet
from bot.base.times import local_date
from bot.base.wording import t
from bot.chat.buttons import simple_data
from bot.chat.messenger import Button
from bot.chat.outbox import Outbox, Send, SendPhoto
from bot.diary import checkins, freetext, inbox
from bot.diary.advice import tip_for
from bot.experiments import conversation as experiment
from bot.insights import recap, report
from bot.knowledge.swaps import answer_swap
from bot.people import onboarding, recap_day, settings
from bot.privacy import export_and_delete as privacy
from bot.safety.screen import about_text, answer_for, numbers_for, redflags_text, screen
from bot.store.models import User
from bot.store.states import OnboardingStep

#: What to say instead when the database cannot be reached; it is given the command's words.
Fallback = Callable[[str], Outbox]


def unsaved(_: str = "") -> Outbox:
    """The reply when the database could not be reached: nothing was stored, try again soon."""
    return Outbox.saying(t("db_unavailable"))


def unsaved_text(text: str) -> Outbox:
    """As :func:`unsaved`, but a message is still screened for warning signs first.

    The screen needs no database; with no timezone to hand, the answer gives general numbers,
    and nothing is recorded (no follow-up), since nothing can be.
    """
    outbox = Outbox()
    answer = answer_for(screen(text), None)
    if answer.text:
        outbox.send(answer.text)
    outbox.messages.extend(unsaved().messages)
    return outbox


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    needs: Needs
    run: Feature
    fallback: Fallback = unsaved


def waiting(user: User, edit_step: OnboardingStep) -> str:
    """During first set-up keep the set-up step; afterwards wait for the edited value.

    Asking for the timezone again during set-up goes back to that step (the times follow it).
    """
    if user.onboarding_step in onboarding.SETTING_UP:
        back_to_zone = edit_step == OnboardingStep.EDIT_TIMEZONE
        if back_to_zone and user.onboarding_step == OnboardingStep.TIMES:
            return OnboardingStep.TIMEZONE
        return user.onboarding_step
    return edit_step


# --- the feature behind each command ----------------------------------------------------------


async def _start(r: Request) -> Outbox:
    return await onboarding.start(r.session, r.user, r.sender, r.now)


async def _help(_: Request) -> Outbox:
    return Outbox.saying(t("help"))


def about_in_full(user: User) -> str:
    """What ``/about``'s More button shows: the disclaimer, the sources and what is stored."""
    return f"{about_text(user.timezone)}\n\n{report.about_stored()}"


async def _about(r: Request) -> Outbox:
    """Short first (what the bot is, emergencies, your data); the rest one tap away."""
    outbox = Outbox()
    outbox.send(
        t("about", emergency=numbers_for(r.user.timezone).emergency),
        ((Button(t("about_more_button"), simple_data("about", "more")),),),
    )
    return outbox


async def _redflags(r: Request) -> Outbox:
    return Outbox.saying(redflags_text(r.user.timezone))


async def _export(r: Request) -> Outbox:
    return await privacy.export(r.session, r.user)


async def _delete(r: Request) -> Outbox:
    return privacy.ask_delete(r.user)


async def _report(r: Request) -> Outbox:
    return await report.report(r.session, r.user, r.text, r.now)


async def _timezone(r: Request) -> Outbox:
    if r.text.strip():
        return await onboarding.set_timezone_text(r.session, r.user, r.text, r.now)
    r.user.onboarding_step = waiting(r.user, OnboardingStep.EDIT_TIMEZONE)
    return await onboarding.ask_again(r.session, r.user, r.sender, r.now)


async def _reminders(r: Request) -> Outbox:
    if r.text.strip():
        return await onboarding.set_times_text(r.session, r.user, r.text, r.now)
    r.user.onboarding_step = waiting(r.user, OnboardingStep.EDIT_TIMES)
    return await onboarding.ask_again(r.session, r.user, r.sender, r.now)


async def _checkin(r: Request) -> Outbox:
    return await checkins.start_now(r.session, r.user, r.now)


async def _log(r: Request) -> Outbox:
    """``/log``: screened like any message (also before set-up is done), then stored."""
    missing = unmet(Needs.SET_UP, r.user)
    outbox = await inbox.on_log(
        r.session, r.user, r.text, r.now, ready=missing is None, first=r.first
    )
    answered = r.first is not None and r.first.answered
    if missing is not None and not outbox.messages and not answered:
        return not_yet(missing, r)
    return outbox


async def _swap(r: Request) -> Outbox:
    if not r.text.strip():
        return Outbox.saying(t("swap_empty"))
    return freetext.swap_reply(answer_swap(r.text), r.user)


async def _recap(r: Request) -> Outbox:
    text, png = await recap.recap_message(r.session, r.user, r.now)
    outbox = Outbox.saying(text)
    if png is not None:
        outbox.messages.append(SendPhoto(png, recap.chart_caption()))
    return outbox


async def _experiment(r: Request) -> Outbox:
    return await experiment.command(r.session, r.user, r.now)


async def _recapday(r: Request) -> Outbox:
    return await recap_day.recap_day(r.session, r.user, r.text, r.now)


async def _tip(r: Request) -> Outbox:
    assert r.user.timezone is not None
    tip = await tip_for(r.session, r.user, local_date(r.now, r.user.timezone))
    return Outbox.saying(tip or t("tip_none_left"))


async def _breathe(r: Request) -> Outbox:
    assert r.start_breathing is not None
    return r.start_breathing(r.sender)


async def _pause(r: Request) -> Outbox:
    return await settings.pause(r.session, r.user, r.text, r.now)


async def _resume(r: Request) -> Outbox:
    return await settings.resume(r.session, r.user, r.now)


async def _settings(r: Request) -> Outbox:
    return await settings.show_settings(r.session, r.user, r.now)


async def _unknown(_: Request) -> Outbox:
    return Outbox.saying(t("unknown_command"))


#: Telegram's menu shows them in this order.
COMMANDS: tuple[Command, ...] = (
    Command("checkin", Needs.SET_UP, _checkin),
    # Needs nothing: a warning sign is answered before set-up too; _log checks the rest.
    Command("log", Needs.NOTHING, _log, fallback=unsaved_text),
    Command("swap", Needs.SET_UP, _swap),
    Command("experiment", Needs.SET_UP, _experiment),
    Command("tip", Needs.SET_UP, _tip),
    Command("breathe", Needs.SET_UP, _breathe),
    Command("recap", Needs.SET_UP, _recap),
    Command("recapday", Needs.SET_UP, _recapday),
    Command("settings", Needs.SET_UP, _settings),
    Command("timezone", Needs.CONSENT, _timezone),
    Command("reminders", Needs.TIMEZONE, _reminders),
    Command("pause", Needs.SET_UP, _pause),
    Command("resume", Needs.SET_UP, _resume),
    Command("report", Needs.NOTHING, _report),
    Command("export", Needs.NOTHING, _export),
    Command("delete", Needs.NOTHING, _delete),
    Command("redflags", Needs.NOTHING, _redflags),
    Command("about", Needs.NOTHING, _about),
    Command("help", Needs.NOTHING, _help),
    Command("start", Needs.NOTHING, _start),
)
BY_NAME = {command.name: command for command in COMMANDS}
#: A command this version does not know: answered once set-up is done, like the rest.
UNKNOWN = Command("", Needs.SET_UP, _unknown)


def command_named(name: str) -> Command:
    return BY_NAME.get(name.lower(), UNKNOWN)


def not_yet(needs: Needs, r: Request) -> Outbox:
    """What a command says to someone who does not meet its ``needs`` yet."""
    if needs is Needs.CONSENT:
        return Outbox.saying(t("consent_needed"))
    if needs is Needs.TIMEZONE:
        return onboarding.step_prompt(r.user, r.sender)
    return finish_setup_first(r)


def finish_setup_first(r: Request) -> Outbox:
    outbox = onboarding.step_prompt(r.user, r.sender)
    first = outbox.messages[0]
    assert isinstance(first, Send)
    outbox.messages[0] = Send(
        t("finish_setup_first", step_prompt=first.text),
        first.buttons,
        ask_location=first.ask_location,
    )
    return outbox
