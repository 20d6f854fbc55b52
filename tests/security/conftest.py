"""The web UI's browser fixtures and the webhook receiver, for the attacks in this folder."""

from tests.dashboard.conftest import new_browser, signed_in  # noqa: F401
from tests.webhooks.conftest import receiver  # noqa: F401
