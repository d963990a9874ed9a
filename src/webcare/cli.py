"""The `webcare` console script: Django's management commands plus Webcare's own.

`webcare serve`, `webcare user add`, `webcare import twcs` and friends are management commands
in the apps; this entry point only points Django at our settings so no manage.py is needed.
"""

import os
import sys
import warnings


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")
    # twitter-text-parser imports pkg_resources, which warns on every start; nothing to act on
    # until it drops the import (setuptools is pinned below 81 for it, see pyproject.toml).
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from django.core.management import execute_from_command_line  # noqa: PLC0415 (settings first)

    execute_from_command_line(["webcare", *sys.argv[1:]])


if __name__ == "__main__":
    main()
