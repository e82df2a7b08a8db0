"""Database errors map to the contract's statuses by what they mean, not by their class."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from app.errors import is_unavailable


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [
        ("53300", True),  # too many connections
        ("08006", True),  # connection failure
        ("57P01", True),  # admin shutdown
        ("57P03", True),  # cannot connect now (starting up)
        ("57014", True),  # statement timeout
        ("40P01", True),  # deadlock, retryable
        ("42P01", False),  # undefined table: a bug, not an outage
        ("22P02", False),  # invalid text representation
        ("", False),
    ],
)
def test_outages_and_overload_are_503_and_bugs_are_not(sqlstate: str, unavailable: bool) -> None:
    error = sa_exc.DBAPIError("SELECT 1", None, FakeDriverError(sqlstate))
    assert is_unavailable(error) is unavailable


def test_the_drivers_cause_is_consulted_when_the_wrapper_has_no_sqlstate() -> None:
    wrapper = Exception("sorry, too many clients already")
    wrapper.__cause__ = FakeDriverError("53300")
    assert is_unavailable(sa_exc.DBAPIError("SELECT 1", None, wrapper))


def test_an_invalidated_connection_is_503() -> None:
    error = sa_exc.DBAPIError("SELECT 1", None, Exception("gone"), connection_invalidated=True)
    assert is_unavailable(error)
