"""One shared instant run of `webcare demo` for the tests that only read what it made."""

from collections.abc import Iterator

import pytest
from django.db import transaction
from pytest_django import DjangoDbBlocker

from tests.demo.helpers import run_demo


@pytest.fixture(scope="module")
def demo_output(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """One instant run shared by the tests that only read what it made, rolled back after.

    The replay is ~240 messages through the real ingest path; running it once per module
    instead of once per test keeps the suite fast. Each test still gets its own savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield run_demo()
        transaction.set_rollback(True)
