"""Settings for the test suite: the project's settings with a private instance name.

Each test run gets its own Celery queue, channel prefix, database and build
folder, so two runs on one machine (or one Redis) do not cross.
"""

import os

os.environ.setdefault("PIER_INSTANCE", f"pier-test-{os.getpid()}")
os.environ.setdefault("PIER_SECRET_KEY", "test-secret-key")

from dashboard.settings import *  # noqa: E402,F403
from dashboard.settings import PIER_INSTANCE, VAR_DIR  # noqa: E402

PIER_BUILD_DIR = VAR_DIR / PIER_INSTANCE / "builds"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
