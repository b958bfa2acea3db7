"""Database errors reach log records without their messages (they quote stored values)."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy import exc

from bot.base.logs import HiddenDatabaseError, install_log_redaction

DIARY = "pizza and a coke, awful cramps"


def test_a_duplicate_key_or_failing_row_is_logged_without_its_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    driver = asyncpg.exceptions.CheckViolationError(
        f'new row violates check constraint\nDETAIL: Failing row contains (1, "{DIARY}").'
    )
    failed = exc.IntegrityError("INSERT INTO log_entries ...", (DIARY,), driver)
    caplog.set_level(logging.DEBUG)
    try:
        try:
            raise failed
        except exc.IntegrityError as error:
            raise RuntimeError("while handling an update") from error
    except RuntimeError:
        logging.getLogger("bot.test").exception("error while handling an update")
    assert "error while handling an update" in caplog.text
    assert DIARY not in caplog.text and "Failing row" not in caplog.text
    record = caplog.records[-1]
    assert record.exc_info is not None and record.exc_info[0] is HiddenDatabaseError
    assert "IntegrityError" in caplog.text  # the kind of failure is still there for operators


def test_other_errors_keep_their_message(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    try:
        raise KeyError("pain")
    except KeyError:
        logging.getLogger("bot.test").exception("bug")
    assert "KeyError: 'pain'" in caplog.text
