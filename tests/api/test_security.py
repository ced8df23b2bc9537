"""Security: authentication on every endpoint, JWT where installed, CSRF, IDOR, escaping, hostile parameters."""

import sys
import types

import pytest
from rest_framework.authentication import BaseAuthentication

from platform_notifications.models import Notification, NotificationPreference
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

CALLS = [
    ("get", ""),
    ("get", "count/"),
    ("put", "mark-seen/discussion/"),
    ("patch", "mark-seen/discussion/"),
    ("patch", "read/"),
    ("patch", "unread/"),
    ("patch", "read-all/"),
    ("delete", "1/"),
    ("get", "v3/configurations/"),
    ("put", "v3/configurations/"),
    ("get", "v2/configurations/"),
    ("put", "v2/configurations/"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_anonymous_gets_401_everywhere(anonymous, user, make_notifications, method, path):
    make_notifications(user, 1)
    response = getattr(anonymous, method)(path)
    assert response.status_code == 401
    # JWT is offered first (edx-drf-extensions' JwtAuthentication), so its challenge is the one named.
    assert response.headers["WWW-Authenticate"] == 'JWT realm="api"'
    assert Notification.objects.filter(last_seen__isnull=True, last_read__isnull=True).count() == 1


class TestIdor:
    """Another user's notification id is indistinguishable from a missing one, and is left untouched."""

    @pytest.fixture
    def theirs(self, other, make_notifications):
        return make_notifications(other, 1)[0]

    def test_mark_read(self, api, theirs):
        response = api.patch("read/", {"notification_id": theirs.id})
        assert (response.status_code, response.json()) == (404, {"error": "Notification not found."})
        theirs.refresh_from_db()
        assert theirs.last_read is None

    def test_mark_unread(self, api, theirs):
        Notification.objects.filter(pk=theirs.pk).update(last_read=theirs.created)
        assert api.patch("unread/", {"notification_id": theirs.id}).status_code == 404
        theirs.refresh_from_db()
        assert theirs.last_read is not None

    def test_remove(self, api, theirs):
        assert api.delete(f"{theirs.id}/").status_code == 404
        assert Notification.objects.filter(pk=theirs.pk).exists()

    def test_list_count_and_bulk_marks_never_reach_them(self, api, theirs, notifications_on):
        assert api.get("").json()["count"] == 0
        assert api.get("count/").json()["count"] == 0
        api.put("mark-seen/discussion/")
        api.patch("read/", {"app_name": "discussion"})
        api.patch("read-all/")
        theirs.refresh_from_db()
        assert (theirs.last_seen, theirs.last_read) == (None, None)

    def test_preferences_are_per_user(self, api, other):
        api.put(
            "v3/configurations/",
            {
                "notification_app": "discussion",
                "notification_type": "grouped_notification",
                "notification_channel": "web",
                "value": False,
            },
        )
        assert not NotificationPreference.objects.filter(user=other).exists()
        theirs = ApiClient(other).get("v3/configurations/").json()
        assert theirs["data"]["discussion"]["notification_types"]["grouped_notification"]["web"] is True


class TestCsrf:
    @pytest.fixture
    def strict(self, user):
        return ApiClient(user, enforce_csrf_checks=True)

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("put", "mark-seen/discussion/", None),
            ("patch", "read/", {"app_name": "discussion"}),
            ("patch", "read-all/", None),
            (
                "put",
                "v3/configurations/",
                {
                    "notification_app": "discussion",
                    "notification_type": "grouped_notification",
                    "notification_channel": "web",
                    "value": False,
                },
            ),
        ],
    )
    def test_unsafe_methods_need_the_token(self, strict, user, make_notifications, method, path, body):
        make_notifications(user, 1)
        response = getattr(strict, method)(path, body)
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
        assert Notification.objects.filter(last_seen__isnull=True).count() == 1
        assert not NotificationPreference.objects.exists()

    def test_with_the_token_it_works(self, strict, user, make_notifications):
        from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

        (row,) = make_notifications(user, 1)
        secret = _get_new_csrf_string()
        strict.client.cookies["csrftoken"] = secret
        response = strict.patch("read/", {"notification_id": row.id}, HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
        assert response.status_code == 200
        assert strict.delete(f"{row.id}/", HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret)).status_code == 204

    def test_safe_methods_need_none(self, strict):
        assert strict.get("count/").status_code == 200


class FakeJwt(BaseAuthentication):
    """Stands in for edx-drf-extensions' JwtAuthentication: ``Authorization: JWT <user id>``."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("JWT "):
            return None
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=int(header[4:])), None

    def authenticate_header(self, request):
        return 'JWT realm="api"'


@pytest.fixture
def jwt_installed(monkeypatch):
    names = [
        "edx_rest_framework_extensions",
        "edx_rest_framework_extensions.auth",
        "edx_rest_framework_extensions.auth.jwt",
        "edx_rest_framework_extensions.auth.jwt.authentication",
    ]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules[names[-1]].JwtAuthentication = FakeJwt


def test_jwt_is_accepted_where_installed(jwt_installed, anonymous, user):
    response = anonymous.get("count/", HTTP_AUTHORIZATION=f"JWT {user.pk}")
    assert response.status_code == 200
    unauthenticated = anonymous.get("count/")
    assert (unauthenticated.status_code, unauthenticated.headers["WWW-Authenticate"]) == (401, 'JWT realm="api"')


def test_jwt_is_not_required_where_absent(anonymous, user):
    assert anonymous.get("count/", HTTP_AUTHORIZATION=f"JWT {user.pk}").status_code == 401


def test_html_in_context_arrives_escaped(api, user, make_notifications, notifications_on):
    make_notifications(
        user,
        1,
        content_context={"replier_name": "<script>alert(1)</script>", "post_title": '"><img src=x onerror=alert(2)>'},
    )
    content = api.get("").json()["results"][0]["content"]
    assert "<script" not in content and "<img" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in content


HOSTILE_APPS = [
    "../discussion",
    "' OR '1'='1",
    "<script>",
    "discussion%00",
    "d" * 5000,
    "Discussion",
    "*",
    "grouped_notification",
    "ᴅiscussion",
]


@pytest.mark.parametrize("app_name", HOSTILE_APPS)
def test_hostile_app_names_are_400(api, user, make_notifications, notifications_on, app_name):
    make_notifications(user, 1)
    assert api.get("", {"app_name": app_name}).status_code == 400
    assert api.patch("read/", {"app_name": app_name}).status_code == 400
    response = api.put(f"mark-seen/{app_name}/")
    assert response.status_code in (400, 404)  # a "/" in the name does not even reach the view
    assert Notification.objects.filter(last_seen__isnull=True, last_read__isnull=True).count() == 1


@pytest.mark.parametrize("page", ["0", "-1", "1e3", "1.0", "abc", "", " 1", "99999999999999999999", "١"])
def test_hostile_pages_are_400(api, notifications_on, page):
    response = api.get("", {"page": page})
    assert response.status_code == 400
    assert response.json()["error"].startswith("page must be")


def test_huge_page_number_is_404_not_500(api, notifications_on):
    assert api.get("", {"page": "999999999"}).status_code == 404
