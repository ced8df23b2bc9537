"""``settings.services`` (real databases, the count cache in Redis) with the baseline view's URL added."""

from settings.services import *  # noqa: F403

ROOT_URLCONF = "bench.load_app.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
