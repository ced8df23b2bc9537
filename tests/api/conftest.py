"""Fixtures for the REST API tests: a logged-in client, notifications of several users, JSON helpers."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import NotificationFactory, UserFactory

API = "/api/notifications/"


class ApiClient:
    """A Django test client speaking JSON to the API, logged in as ``user``."""

    def __init__(self, user=None, **client_kwargs):
        self.client = Client(**client_kwargs)
        self.user = user
        if user is not None:
            self.client.force_login(user)

    def get(self, path, params=None, **extra):
        return self.client.get(API + path, params or {}, **extra)

    def _send(self, method, path, body, **extra):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(API + path, data, content_type="application/json", **extra)

    def put(self, path, body=None, **extra):
        return self._send("put", path, {} if body is None else body, **extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, {} if body is None else body, **extra)

    def delete(self, path, **extra):
        return self.client.delete(API + path, **extra)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def api(user):
    return ApiClient(user)


@pytest.fixture
def anonymous(db):
    return ApiClient()


@pytest.fixture
def make_notifications():
    """``make_notifications(user, n, **fields)``: n rows, one second apart, newest last."""

    def make(user, n=1, age=timedelta(0), **fields):
        base = timezone.now() - age
        return [NotificationFactory(user=user, created=base - timedelta(seconds=n - i), **fields) for i in range(n)]

    return make
