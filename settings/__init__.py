"""The standalone project: settings for tests, the embedded dev default and real services."""

from settings.celery import app as celery_app

__all__ = ["celery_app"]
