"""The standalone server answers the platform library's LMS calls, and every API view accepts Open edX's JWT.

``POST /login_refresh`` sets the JWT cookie pair; edx-drf-extensions' ``JwtAuthCookieMiddleware`` joins it and
``JwtAuthentication`` verifies it beside sessions. A malformed, tampered, expired or foreign JWT gets 401 and
changes nothing.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.test import Client

from platform_notifications.api.platform import user_jwt
from platform_notifications.models import Notification, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER_PAYLOAD, SIGNATURE = "edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature"
CONFIG = "/api/notifications/v3/configurations/"
CHANGE = {"notification_app": "discussion", "notification_type": "grouped_notification"}
WEB_OFF = {**CHANGE, "notification_channel": "web", "value": False, "email_cadence": "Daily"}


def refreshed(user) -> Client:
    """A browser that signed in, refreshed its JWT, then lost its session: only the JWT cookies remain."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/login_refresh")
    assert response.status_code == 200 and response.json() == {"success": True}
    browser.cookies.pop("sessionid")
    return browser


def csrf(browser: Client) -> str:
    response = browser.get("/csrf/api/v1/token")
    assert response.status_code == 200
    return response.json()["csrfToken"]


def put(browser: Client, body: dict, **headers):
    return browser.put(CONFIG, json.dumps(body), content_type="application/json", **headers)


def test_login_refresh_sets_the_cookie_pair_open_edx_uses():
    user = UserFactory()
    browser = Client()
    browser.force_login(user)
    response = browser.post("/login_refresh")
    assert response.status_code == 200
    header_payload, signature = response.cookies[HEADER_PAYLOAD], response.cookies[SIGNATURE]
    # The front end reads the expiry from the readable half; the signature is HttpOnly.
    assert not header_payload["httponly"] and signature["httponly"]
    claims = jwt.decode(f"{header_payload.value}.{signature.value}", options={"verify_signature": False})
    assert claims["preferred_username"] == user.username and claims["user_id"] == user.pk
    assert claims["exp"] > time.time() + 3000 and claims["version"]


def test_login_refresh_without_a_session_is_401_and_sets_nothing():
    response = Client().post("/login_refresh")
    assert response.status_code == 401
    assert HEADER_PAYLOAD not in response.cookies and SIGNATURE not in response.cookies


def test_login_refresh_is_post_only():
    browser = Client()
    browser.force_login(UserFactory())
    assert browser.get("/login_refresh").status_code == 405


def test_csrf_token_endpoint_answers_as_the_lms_does():
    browser = Client()
    body = browser.get("/csrf/api/v1/token").json()
    assert set(body) == {"csrfToken"} and len(body["csrfToken"]) >= 32
    assert "csrftoken" in browser.cookies


def test_every_call_works_with_the_jwt_cookie_alone(all_flags_on):
    user = UserFactory()
    browser = refreshed(user)
    headers = {"HTTP_USE_JWT_COOKIE": "true"}
    assert browser.get(CONFIG, **headers).status_code == 200
    assert browser.get("/api/notifications/count/", **headers).json()["count"] == 0
    token = csrf(browser)
    response = put(browser, WEB_OFF, HTTP_X_CSRFTOKEN=token, **headers)
    assert response.status_code == 200, response.content
    assert NotificationPreference.objects.get(user=user).web is False


def test_jwt_cookie_writes_need_the_csrf_token(all_flags_on):
    user = UserFactory()
    browser = refreshed(user)
    response = put(browser, WEB_OFF, HTTP_USE_JWT_COOKIE="true")
    # edx-drf-extensions forgives a failed cookie (CSRF included) and lets sessions try: none here, so 401.
    assert response.status_code == 401
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_bearer_jwt_is_accepted(all_flags_on):
    user = UserFactory()
    token, _expires = user_jwt(user)
    response = Client().get(CONFIG, HTTP_AUTHORIZATION=f"JWT {token}")
    assert response.status_code == 200


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered(user, victim) -> dict[str, str]:
    """Cookie pairs an attacker could send: each must be refused."""
    token, _ = user_jwt(user)
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    as_victim = _b64({**claims, "preferred_username": victim.username, "user_id": victim.pk})
    expired, _ = user_jwt(user, now=int(time.time()) - 7200)
    return {
        "payload swapped for another user": (f"{header}.{as_victim}", signature),
        "signature flipped": (f"{header}.{payload}", signature[::-1]),
        "unsigned (alg none)": (f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{as_victim}", ""),
        "signed with another key": tuple(
            jwt.encode(
                {**claims, "preferred_username": victim.username},
                "a-guessed-key-of-the-right-length-for-hs256",
                algorithm="HS256",
            ).rsplit(".", 1)
        ),
        "expired": tuple(expired.rsplit(".", 1)),
        "not a JWT": ("garbage", "garbage"),
        "not base64": ("%%%.***", "!!"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "payload swapped for another user",
        "signature flipped",
        "unsigned (alg none)",
        "signed with another key",
        "expired",
        "not a JWT",
        "not base64",
    ],
)
def test_malformed_or_tampered_jwt_cookie_is_401_and_changes_nothing(all_flags_on, case, make_notifications):
    attacker, victim = UserFactory(), UserFactory()
    make_notifications(victim, 1)
    header_payload, signature = _tampered(attacker, victim)[case]
    browser = Client()
    browser.cookies[HEADER_PAYLOAD] = header_payload
    browser.cookies[SIGNATURE] = signature
    headers = {"HTTP_USE_JWT_COOKIE": "true"}
    assert browser.get(CONFIG, **headers).status_code == 401
    assert browser.put("/api/notifications/mark-seen/discussion/", **headers).status_code == 401
    assert put(browser, WEB_OFF, **headers).status_code == 401
    assert not NotificationPreference.objects.exists()
    assert Notification.objects.filter(user=victim, last_seen__isnull=True).count() == 1
    # No account is created or changed from a refused token.
    assert sorted(u.pk for u in type(victim).objects.all()) == sorted([attacker.pk, victim.pk])


def test_tampered_jwt_does_not_override_the_session_user(all_flags_on):
    user, victim = UserFactory(), UserFactory()
    header_payload, signature = _tampered(user, victim)["payload swapped for another user"]
    browser = Client()
    browser.force_login(user)
    browser.cookies[HEADER_PAYLOAD] = header_payload
    browser.cookies[SIGNATURE] = signature
    response = put(browser, WEB_OFF, HTTP_USE_JWT_COOKIE="true")
    # Either refused or applied to the session's own user: never to the user named in the forged token.
    assert response.status_code in (200, 401)
    assert not NotificationPreference.objects.filter(user=victim).exists()


@pytest.mark.parametrize("public_keys", [None, ""])
def test_without_public_keys_jwt_is_not_offered(settings, public_keys, all_flags_on):
    """edx-drf-extensions verifies nothing against an empty key set: such a host gets sessions only."""
    user = UserFactory()
    forged = jwt.encode(
        {"preferred_username": user.username, "exp": time.time() + 60},
        "any-key-the-forger-likes-32-bytes-long",
        algorithm="HS256",
    )
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": public_keys}
    response = Client().get(CONFIG, HTTP_AUTHORIZATION=f"JWT {forged}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Session realm="api"'
