"""The web UI's browser fixtures, for the attacks on dashboard sessions."""

from tests.dashboard.conftest import new_browser, signed_in  # noqa: F401
