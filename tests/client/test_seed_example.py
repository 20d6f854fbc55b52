"""The seed-003 Python example, exactly as the seed and the README print it, against a live
server (its `'your_api_key'` swapped for a real key, `SHORTURL_URL` set to the server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.client.conftest import SdkUser
from tests.live_server import LiveServer

SEED_EXAMPLE = """\
import shorturl

client = shorturl.Client(api_key='your_api_key')

# Create short URL
result = client.urls.create(
    long_url='https://example.com/very/long/url',
    custom_alias='my-link'
)

print(result.short_url)  # https://shorturl.com/my-link
"""

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_shows_the_seed_example() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert SEED_EXAMPLE in blocks


def test_seed_example_runs_verbatim(live_server: LiveServer, sdk_user: SdkUser) -> None:
    source = SEED_EXAMPLE.replace("'your_api_key'", repr(sdk_user.api_key))
    assert source.count(sdk_user.api_key) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHORTURL_")}
    result = subprocess.run(
        [sys.executable, "-c", source],
        env={**env, "SHORTURL_URL": live_server.url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{live_server.url}/my-link\n"
