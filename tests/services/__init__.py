"""Suites that need real servers (PostgreSQL or MariaDB, Redis, Celery workers): run by .ci/run."""
