"""The one error table: every code of the tree has a status; the body has one shape."""

from __future__ import annotations

import json

import pytest

from smsgate.api.errors import HTTP_STATUS, PayloadTooLarge, error_response, status_for
from smsgate.core import errors


@pytest.mark.parametrize("error_type", errors.ALL_ERRORS)
def test_every_code_of_the_tree_has_a_status(error_type: type[errors.SmsgateError]) -> None:
    assert error_type.code in HTTP_STATUS


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidRequest("x"), 400),
        (errors.InvalidRecipient("x"), 400),
        (errors.InvalidSender("x"), 400),
        (errors.EmptyText("x"), 400),
        (errors.TextTooLong("x"), 400),
        (errors.NoPrice("x"), 400),
        (errors.NoRoute("x"), 400),
        (errors.Unauthenticated("x"), 401),
        (errors.InsufficientCredit("x"), 402),
        (errors.Forbidden("x"), 403),
        (errors.NotFound("x"), 404),
        (errors.Conflict("x"), 409),
        (PayloadTooLarge("x"), 413),
        (errors.RateLimited("x"), 429),
        (errors.Unavailable("x"), 503),
    ],
)
def test_statuses(error: errors.SmsgateError, status: int) -> None:
    assert status_for(error) == status
    response = error_response(error)
    assert response.status_code == status
    assert json.loads(bytes(response.body)) == {"error": {"code": error.code, "message": "x"}}


def test_field_is_included_when_known() -> None:
    response = error_response(errors.InvalidRecipient("bad number", field="to[2]"))
    body = json.loads(bytes(response.body))
    assert body == {
        "error": {"code": "invalid_recipient", "message": "bad number", "field": "to[2]"}
    }


def test_unauthenticated_names_the_schemes() -> None:
    response = error_response(errors.Unauthenticated("who are you"))
    challenge = response.headers["www-authenticate"]
    assert "Bearer" in challenge
    assert "Basic" in challenge


def test_a_code_without_a_row_falls_back_to_its_parent() -> None:
    class Oddity(errors.Conflict):
        code = "oddity"

    assert status_for(Oddity("x")) == 409


def test_an_unlisted_error_reveals_nothing() -> None:
    class Secret(errors.SmsgateError):
        code = "secret"

    response = error_response(Secret("database password is hunter2"))
    assert response.status_code == 500
    assert json.loads(bytes(response.body)) == {
        "error": {"code": "internal_error", "message": "internal error"}
    }


def test_an_unreachable_store_says_when_to_try_again() -> None:
    response = error_response(errors.Unavailable("the database cannot be reached"))
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
