"""Helpers shared by the demo tests."""

from io import StringIO

from django.core.management import call_command


def run_demo() -> str:
    """Run the command as `make` targets do: replay everything at once, no server."""
    out = StringIO()
    call_command("demo", "--no-serve", "--instant", stdout=out)
    return out.getvalue()
