"""The database schema: typed SQLAlchemy 2 models.

All instants are stored as UTC ``timestamptz``; a person's timezone is used only to compute local
dates and due times. Conversation state (the open check-in and its next question) is a row here, not
process memory, so any bot process can continue any check-in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

from bot.store.states import CheckinStatus, DeliveryStatus, ExperimentStatus, OnboardingStep

# A naming convention makes every constraint addressable by name, which Alembic's batch mode on
# SQLite needs to alter or drop it later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    PostgreSQL keeps the offset (``timestamptz``); SQLite has no such type and would hand back naive
    values, so UTC is stored naive there and made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """One person. Holds no health data: that lives in check-ins and answers, after consent."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    onboarding_step: Mapped[str] = mapped_column(String(16), default=OnboardingStep.CONSENT)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    skip_date: Mapped[date | None] = mapped_column(Date)
    #: The last local date the weekly "any of these new?" safety screen was asked.
    screened_on: Mapped[date | None] = mapped_column(Date)
    #: The last local date a "please see a clinician about this pain" suggestion was made.
    pain_alert_on: Mapped[date | None] = mapped_column(Date)
    #: Set when someone shows eating-disorder signals: no tips about cutting foods for them.
    no_restriction_tips: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: A breathing break was taken; the next check-in asks whether it helped.
    breathing_followup: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Optional quiet hours, local wall-clock times (may wrap past midnight): no check-in then.
    quiet_from: Mapped[time | None] = mapped_column(Time)
    quiet_until: Mapped[time | None] = mapped_column(Time)
    #: When the "I'll check in once a day for now" note went out (once per silence).
    eased_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The check-in's optional medicines and supplements question, switched on in /settings.
    ask_medicines: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Schedule(Base):
    """A recurring prompt (a daily check-in slot or the weekly recap) and when it is next due (UTC).

    ``weekday`` (Monday=0 ... Sunday=6) is set only for weekly prompts; daily ones leave it empty.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "slot"),
        Index("ix_schedules_due", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    slot: Mapped[int] = mapped_column(SmallInteger)
    local_time: Mapped[time] = mapped_column(Time)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The claim on one prompt. Its unique key is what makes a prompt go out at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "local_date", "slot"),
        # Every sweep looks for old claims whose send never began (a dead worker's).
        Index("ix_deliveries_status_claimed", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.CLAIMED)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the prompt fell due: a claim whose claimer died is given back to this instant.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class Checkin(Base):
    """One check-in conversation: which questions it asks and which one is open now."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_remind", "remind_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[int | None] = mapped_column(SmallInteger)
    questions: Mapped[list[str]] = mapped_column(JSON)
    current: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CheckinStatus.OPEN)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Answer(Base):
    """One answered question of one check-in, stored the moment the button is pressed."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("checkin_id", "question"),
        Index("ix_answers_user_day", "user_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    question: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """Update ids already handled: Telegram delivers at least once, we act at most once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class InboxUpdate(Base):
    """A webhook update answered 200 but not yet handled: kept so a killed worker loses none.

    Written before the 200, deleted once handled; a row left behind by a dead worker is handled
    by the next one to start (or by any worker after ``GUTBACK_TAKEOVER_SECONDS``). It holds the
    raw update, message text included, for those seconds only; ``platform_id`` lets /delete
    erase a person's rows still waiting.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    platform_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The worker handling it, and when that worker last said it was alive.
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LogEntry(Base):
    """A free-text diary line ("pizza and a coke, bloated, back 6/10") and what was understood."""

    __tablename__ = "log_entries"
    __table_args__ = (Index("ix_log_entries_user_day", "user_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(4000))
    food_groups: Mapped[list[str]] = mapped_column(JSON)
    symptoms: Mapped[list[str]] = mapped_column(JSON)
    pain: Mapped[int | None] = mapped_column(SmallInteger)
    stress: Mapped[int | None] = mapped_column(SmallInteger)
    sleep: Mapped[int | None] = mapped_column(SmallInteger)
    bristol: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TipShown(Base):
    """Which tip a person saw and when, so the same tip does not come back within 14 days."""

    __tablename__ = "tips_shown"
    __table_args__ = (Index("ix_tips_shown_user_day", "user_id", "shown_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tip_id: Mapped[str] = mapped_column(String(64))
    shown_on: Mapped[date] = mapped_column(Date)


class SafetyEvent(Base):
    """A warning sign that was answered: which flag, which tier, when. Never the message text."""

    __tablename__ = "safety_events"
    __table_args__ = (Index("ix_safety_events_follow_up", "follow_up_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    flag_id: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Emergency answers get a gentle "did you get help?" later that day.
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SafetyAsk(Base):
    """A one-tap safety question the bot asked ("are you having thoughts of ending your life?").

    Stored so that a typed "yes" minutes later, on any process, is read as its answer. Holds the
    question and the flag it would confirm, never the message that raised it.
    """

    __tablename__ = "safety_asks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Typed replies are read as the answer until then; its buttons work for as long as it is kept.
    open_until: Mapped[datetime] = mapped_column(UTCDateTime())
    #: yes, no or unsure (``AskAnswer``) once answered.
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The message that raised the question also held a diary line, not saved while asking.
    unsaved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Experiment(Base):
    """A two-week N-of-1 swap trial: which swap, which local dates, and the verdict at the end.

    Whether the person stuck to it each day is an ``Answer`` (question ``experiment``) of that
    day's evening check-in, so it is exported, erased and shown like every other answer.
    """

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    swap_id: Mapped[str] = mapped_column(String(64))
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: active, finished (verdict given) or stopped (ended early by the person).
    status: Mapped[str] = mapped_column(String(16), default=ExperimentStatus.ACTIVE)
    #: better, no_change or not_enough (design 1); better, no_change, worse or not_enough (2).
    verdict: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The rules it runs and ends under: 1, two weeks compared with the two before
    #: (:mod:`bot.insights.verdict`); 2, the randomised N-of-1 trial (:mod:`bot.insights.trial`).
    #: Rows from before design 2 keep 1, so an experiment finishes under the rules it started with.
    design: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="1")
    #: Design 2: the seed of the order of the weeks, pairs of weeks planned, the start of each
    #: pair added after the first two (ISO dates), and the day the next week's message is due.
    seed: Mapped[int | None] = mapped_column(Integer)
    pairs: Mapped[int | None] = mapped_column(SmallInteger)
    extra_starts: Mapped[list[str] | None] = mapped_column(JSON)
    next_block_on: Mapped[date | None] = mapped_column(Date)
    #: Design 2, once finished: the effect on pain (swap minus usual) and its interval.
    effect: Mapped[float | None] = mapped_column(Float)
    effect_low: Mapped[float | None] = mapped_column(Float)
    effect_high: Mapped[float | None] = mapped_column(Float)
