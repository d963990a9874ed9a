"""Settings for pytest: the test environment, whatever the shell exported."""

import os

os.environ.setdefault("WEBCARE_ENV", "test")

from webcare.config.settings import *  # noqa: F403
