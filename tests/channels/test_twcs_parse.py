"""The TWCS row parser: one stored CSV row (JSON of the file's own columns) -> InboundMessage."""

import json
from datetime import UTC, datetime

import pytest

from webcare.channels import registry
from webcare.channels.adapters import twcs
from webcare.channels.adapters.base import Author, PayloadError


def stored_row(**changes: str) -> bytes:
    """A row as the importer stores it: every column, verbatim strings."""
    row = {
        "": "0",
        "tweet_id": "2",
        "author_id": "115712",
        "inbound": "True",
        "created_at": "Tue Oct 31 22:11:45 +0000 2017",
        "text": "@sprintcare and how do you propose we do that",
        "response_tweet_id": "",
        "in_response_to_tweet_id": "1.0",
    }
    row.update(changes)
    return json.dumps(row).encode()


def test_customer_row_becomes_public_inbound_message() -> None:
    [message] = twcs.parse(stored_row())

    assert message.external_id == "2"
    assert message.author == Author(external_id="115712", handle="115712")
    assert message.text == "@sprintcare and how do you propose we do that"
    assert message.created_at == datetime(2017, 10, 31, 22, 11, 45, tzinfo=UTC)
    assert message.public is True
    assert message.from_brand is False
    assert message.thread_id is None


def test_float_reply_link_is_read_as_tweet_id() -> None:
    [message] = twcs.parse(stored_row(in_response_to_tweet_id="3.0"))

    assert message.in_reply_to == "3"


def test_empty_reply_link_means_no_parent() -> None:
    [message] = twcs.parse(stored_row(in_response_to_tweet_id=""))

    assert message.in_reply_to is None


def test_brand_row_is_the_brands_own_reply() -> None:
    [message] = twcs.parse(stored_row(author_id="sprintcare", inbound="False"))

    assert message.from_brand is True
    assert message.author.handle == "sprintcare"


def test_created_at_with_offset_is_converted_to_utc() -> None:
    [message] = twcs.parse(stored_row(created_at="Wed Nov 01 00:30:00 +0130 2017"))

    assert message.created_at == datetime(2017, 10, 31, 23, 0, tzinfo=UTC)
    assert message.created_at.tzinfo == UTC


def test_unreadable_date_names_created_at() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(stored_row(created_at="yesterday afternoon"))

    assert error.value.field == "created_at"
    assert "yesterday afternoon" in str(error.value)


def test_impossible_date_names_created_at() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(stored_row(created_at="Tue Feb 31 22:11:45 +0000 2017"))

    assert error.value.field == "created_at"


def test_missing_tweet_id_is_named() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(stored_row(tweet_id=""))

    assert error.value.field == "tweet_id"


def test_absent_column_is_named() -> None:
    row = json.loads(stored_row())
    del row["author_id"]

    with pytest.raises(PayloadError) as error:
        twcs.parse(json.dumps(row).encode())

    assert error.value.field == "author_id"


def test_inbound_must_be_true_or_false() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(stored_row(inbound="maybe"))

    assert error.value.field == "inbound"


def test_reply_link_that_is_no_tweet_id_is_named() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(stored_row(in_response_to_tweet_id="abc"))

    assert error.value.field == "in_response_to_tweet_id"


def test_body_that_is_not_json_is_named() -> None:
    with pytest.raises(PayloadError) as error:
        twcs.parse(b"tweet_id,author_id")

    assert error.value.field == "body"


def test_twcs_events_are_read_by_the_twcs_parser() -> None:
    assert registry.parser_for("twcs") is twcs.parse
