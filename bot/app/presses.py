"""The table of buttons: one row per kind of button (the namespace in its data).

Adding a button is one row here (its namespace, what it needs, its feature) plus the feature
function, which builds its buttons with :func:`bot.chat.buttons.simple_data`. Button data comes
from the client, so :func:`parse` is strict and never raises: anything that is not exactly a
check-in press or a known namespace with an argument is an expired button. Check-in answers
(namespace ``c``) are not in this table: :func:`bot.diary.checkins.press` checks them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app.commands import about_in_full, waiting
from bot.app.request import Feature, Needs, Request
from bot.base.timezones import parse_timezone
from bot.base.wording import t
from bot.chat.buttons import CHECKIN_ACTION, Press, parse_press
from bot.chat.outbox import Outbox
from bot.diary import freetext, inbox
from bot.experiments import conversation as experiment
from bot.people import onboarding, recap_day, settings
from bot.privacy import export_and_delete as privacy
from bot.safety import conversation
from bot.store.states import OnboardingStep


@dataclass(frozen=True, slots=True)
class ButtonAction:
    action: str
    needs: Needs
    run: Feature


def expired() -> Outbox:
    """The answer to a button this version does not (or no longer) understand."""
    return Outbox(toast=t("button_expired"))


async def _consent(r: Request) -> Outbox:
    return await onboarding.consent(r.session, r.user, r.sender, r.text, r.message_id, r.now)


async def _privacy(r: Request) -> Outbox:
    return await privacy.press(r.session, r.user, r.text, r.message_id, r.now)


async def _timezone(r: Request) -> Outbox:
    if parse_timezone(r.text) != r.text:
        return expired()
    return await onboarding.set_timezone(r.session, r.user, r.text, r.now)


async def _times(r: Request) -> Outbox:
    if r.text not in onboarding.TIME_PRESETS:
        return expired()
    return await onboarding.set_times(r.session, r.user, onboarding.TIME_PRESETS[r.text], r.now)


async def _undo(r: Request) -> Outbox:
    return await freetext.undo(r.session, r.user, r.text, r.message_id)


async def _experiment(r: Request) -> Outbox:
    return await experiment.press(r.session, r.user, r.text, r.message_id, r.now)


async def _breathe(r: Request) -> Outbox:
    assert r.start_breathing is not None
    return r.start_breathing(r.sender)


async def _settings(r: Request) -> Outbox:
    """The /settings buttons: the weekly recap's day, the timezone, the times, the medicines
    question."""
    if r.text == "recap":
        if not onboarding.is_set_up(r.user):
            return expired()
        return await recap_day.choose(r.session, r.user)
    if r.text == "meds":
        if not onboarding.is_set_up(r.user):
            return expired()
        return await settings.toggle_medicines(r.session, r.user, r.message_id, r.now)
    if r.text not in ("tz", "times"):
        return expired()
    step = OnboardingStep.EDIT_TIMEZONE if r.text == "tz" else OnboardingStep.EDIT_TIMES
    r.user.onboarding_step = waiting(r.user, step)
    return await onboarding.ask_again(r.session, r.user, r.sender, r.now)


async def _quiet(r: Request) -> Outbox:
    return await settings.quiet_pressed(r.user, r.text, r.message_id, r.now)


async def _about(r: Request) -> Outbox:
    """``/about``'s More button: the message grows into the whole text."""
    if r.text != "more":
        return expired()
    outbox = Outbox()
    if r.message_id is None:
        outbox.send(about_in_full(r.user))
    else:
        outbox.edit(r.message_id, about_in_full(r.user))
    return outbox


async def _recapday(r: Request) -> Outbox:
    return await recap_day.press(r.session, r.user, r.text, r.message_id, r.now)


async def _ask(r: Request) -> Outbox:
    """Yes / No / Not sure under one of the bot's safety questions (works before consent)."""
    return await inbox.ask_pressed(r.session, r.user, r.text, r.now)


async def _sign(r: Request) -> Outbox:
    """One tap on a warning sign offered with the "English only for now" notice."""
    return await conversation.on_sign(r.session, r.user, r.text, r.now)


BUTTONS: dict[str, ButtonAction] = {
    row.action: row
    for row in (
        ButtonAction("consent", Needs.NOTHING, _consent),
        ButtonAction("privacy", Needs.NOTHING, _privacy),
        ButtonAction("tz", Needs.CONSENT, _timezone),
        ButtonAction("times", Needs.TIMEZONE, _times),
        ButtonAction("undo", Needs.CONSENT, _undo),
        ButtonAction("exp", Needs.CONSENT, _experiment),
        ButtonAction("breathe", Needs.TIMEZONE, _breathe),
        ButtonAction("settings", Needs.CONSENT, _settings),
        ButtonAction(settings.QUIET_BUTTON, Needs.SET_UP, _quiet),
        ButtonAction("recapday", Needs.SET_UP, _recapday),
        ButtonAction("about", Needs.NOTHING, _about),
        ButtonAction(conversation.ASK_BUTTON, Needs.NOTHING, _ask),
        ButtonAction(conversation.SIGN_BUTTON, Needs.NOTHING, _sign),
    )
}
assert CHECKIN_ACTION not in BUTTONS, "the check-in's namespace is taken"


def parse(data: object) -> Press | None:
    """The press a button stands for, or ``None`` for data this version does not understand."""
    return parse_press(data, BUTTONS)
