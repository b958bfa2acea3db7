"""The states stored in status and step columns, one StrEnum per column.

The members are the very strings the rows have always held (a StrEnum compares equal to its
string), so no migration is needed, and a typo in a state is a NameError instead of a silent
never-matching query.
"""

from __future__ import annotations

from enum import StrEnum


class CheckinStatus(StrEnum):
    """``checkins.status``."""

    OPEN = "open"  # waiting for the next answer
    DONE = "done"  # every question answered (or skipped one by one)
    SKIPPED = "skipped"  # "skip today"
    UNSENT = "unsent"  # its first question was refused by Telegram (429); the sweep retries


class DeliveryStatus(StrEnum):
    """``deliveries.status``: what became of one claimed prompt, recap or result."""

    CLAIMED = "claimed"  # claimed, its send not begun: re-offered if its claimer dies
    SENDING = "sending"  # its send has begun: never sent again, even if the sender died
    SENT = "sent"
    REFUSED = "refused"  # Telegram said "too many requests": certainly not delivered
    GONE = "gone"  # the person blocked the bot
    FAILED = "failed"  # the outcome is unknown; at most once, so never retried
    REPLY = "reply"  # an experiment result given as the answer to /experiment instead


class ExperimentStatus(StrEnum):
    """``experiments.status``."""

    ACTIVE = "active"
    FINISHED = "finished"  # the verdict was given
    STOPPED = "stopped"  # ended early (by the person, or after an eating-disorder signal)


class OnboardingStep(StrEnum):
    """``users.onboarding_step``: where set-up is, or which edited value is awaited."""

    CONSENT = "consent"
    TIMEZONE = "timezone"
    TIMES = "times"
    DONE = "done"
    EDIT_TIMEZONE = "edit_timezone"
    EDIT_TIMES = "edit_times"


class AskAnswer(StrEnum):
    """``safety_asks.answer``: how a safety question the bot asked was answered."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"  # "not sure", "maybe": treated as a yes, gently
