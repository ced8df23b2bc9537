"""What `tutor config save` renders with the notifications plugin: settings, image, services, MFE config."""

from __future__ import annotations

import ast
import importlib.util
import textwrap
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:  # the fixtures provide it; conftest modules are not meant to be imported
    from conftest import TutorProject

SETTINGS_FILES = [
    ("apps", "openedx", "settings", "lms", "production.py"),
    ("apps", "openedx", "settings", "cms", "production.py"),
    ("apps", "openedx", "settings", "lms", "development.py"),
    ("apps", "openedx", "settings", "cms", "development.py"),
]
LMS_PRODUCTION = SETTINGS_FILES[0]
BEAT = "lms-notifications-beat"
TASKS = {
    "platform_notifications.tasks.sweep_stale_requests",
    "platform_notifications.tasks.send_due_digests",
    "platform_notifications.tasks.purge_expired_notifications",
    "platform_notifications.tasks.sweep_deliveries",
}
DEFAULT_SETTINGS = {
    "NOTIFICATIONS_DEFAULT_FROM_EMAIL": "contact@local.openedx.io",
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE": 0,
    "NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES": 15,
    "NOTIFICATIONS_EXPIRY": 60,
    "NOTIFICATIONS_RETENTION_DAYS": 30,
    "NOTIFICATION_TYPES_OVERRIDE": {},
    "NOTIFICATION_APPS_OVERRIDE": {},
    "ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT": "100/m",
    "NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL": False,
}
HAS_TUTOR_MFE = importlib.util.find_spec("tutormfe") is not None

# A stand-in for tutor-mfe, shaped like it: MFE_CONFIG defined in the LMS settings, then the
# `mfe-lms-common-settings` patch rendered after it. Loaded from TUTOR_PLUGINS_ROOT as a module plugin.
FAKE_MFE_PLUGIN = textwrap.dedent(
    '''
    """Stand-in for tutor-mfe in tests."""
    from tutor import hooks

    hooks.Filters.ENV_PATCHES.add_item(
        ("openedx-lms-production-settings", 'MFE_CONFIG = {}\\n{{ patch("mfe-lms-common-settings") }}')
    )
    '''
)


def literal_settings(source: str) -> dict[str, Any]:
    """Top-level `NAME = <literal>` assignments of a settings file, after checking that it compiles."""
    tree = ast.parse(source)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def mfe_config_of(source: str) -> dict[str, Any]:
    """The MFE_CONFIG items this plugin sets, as the settings file would leave them."""
    lines = [line for line in source.splitlines() if line.startswith('MFE_CONFIG["SHOW_')]
    namespace: dict[str, Any] = {"MFE_CONFIG": {}}
    exec("\n".join(lines), namespace)  # noqa: S102 - test-rendered text, checked to be plain assignments
    return namespace["MFE_CONFIG"]


def beat_schedule(project: TutorProject, existing: dict[str, Any]) -> dict[str, Any]:
    """Execute the schedule block of the rendered LMS settings on top of settings that already hold one."""
    pytest.importorskip("celery")
    lines = project.read(*LMS_PRODUCTION).splitlines()
    start = next(i for i, line in enumerate(lines) if "platform-notifications" in line and "periodic" in line)
    end = lines.index("}", start)
    namespace: dict[str, Any] = {"CELERYBEAT_SCHEDULE": existing}
    exec("\n".join(lines[start : end + 1]), namespace)  # noqa: S102 - the point is to run the rendered code
    return namespace["CELERYBEAT_SCHEDULE"]


def test_enable_renders_the_default_settings_in_lms_and_cms(enabled: TutorProject) -> None:
    assert "notifications" in enabled.config()["PLUGINS"]
    for path in SETTINGS_FILES:
        settings = literal_settings(enabled.read(*path))
        assert {key: settings.get(key) for key in DEFAULT_SETTINGS} == DEFAULT_SETTINGS, path


def test_config_save_set_reaches_the_settings(enabled: TutorProject) -> None:
    enabled.run(
        "config",
        "save",
        "--set",
        "NOTIFICATIONS_DEFAULT_FROM_EMAIL=Example Academy <no-reply@example.org>",
        "--set",
        "NOTIFICATIONS_DAILY_DIGEST_HOUR=6",
        "--set",
        "NOTIFICATIONS_WEEKLY_DIGEST_DAY=4",
        "--set",
        "NOTIFICATIONS_EXPIRY_DAYS=30",
        "--set",
        "NOTIFICATIONS_RETENTION_DAYS=7",
        "--set",
        "NOTIFICATIONS_TYPES_OVERRIDE={new_response: {email: true, email_cadence: Daily, non_editable: [push]}}",
        "--set",
        "NOTIFICATIONS_APPS_OVERRIDE={grading: {push: false}}",
        "--set",
        "NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT=20/h",
    )

    for path in SETTINGS_FILES[:2]:
        settings = literal_settings(enabled.read(*path))
        assert settings["NOTIFICATIONS_DEFAULT_FROM_EMAIL"] == "Example Academy <no-reply@example.org>"
        assert settings["NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR"] == 6
        assert settings["NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY"] == 4
        assert settings["NOTIFICATIONS_EXPIRY"] == 30
        assert settings["NOTIFICATIONS_RETENTION_DAYS"] == 7
        assert settings["NOTIFICATION_TYPES_OVERRIDE"] == {
            "new_response": {"email": True, "email_cadence": "Daily", "non_editable": ["push"]}
        }
        assert settings["NOTIFICATION_APPS_OVERRIDE"] == {"grading": {"push": False}}
        assert settings["ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT"] == "20/h"
    assert enabled.config()["NOTIFICATIONS_DAILY_DIGEST_HOUR"] == 6


def test_tutor_environment_variables_override_the_defaults(enabled: TutorProject) -> None:
    env = {
        "TUTOR_NOTIFICATIONS_WEEKLY_DIGEST_HOUR": "8",
        "TUTOR_NOTIFICATIONS_IMMEDIATE_EMAIL_BUFFER_MINUTES": "5",
    }

    enabled.run("config", "save", env=env)

    settings = literal_settings(enabled.read(*LMS_PRODUCTION))
    assert settings["NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR"] == 8
    assert settings["NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES"] == 5
    printed = enabled.run("config", "printvalue", "NOTIFICATIONS_WEEKLY_DIGEST_HOUR", env=env)
    assert printed.stdout.strip() == "8"
    # The environment overrides at load time; it is not written into config.yml.
    assert "NOTIFICATIONS_WEEKLY_DIGEST_HOUR" not in enabled.config()


def test_from_address_defaults_to_the_platform_contact_email(enabled: TutorProject) -> None:
    enabled.run("config", "save", "--set", "CONTACT_EMAIL=help@academy.example")

    settings = literal_settings(enabled.read(*LMS_PRODUCTION))
    assert settings["NOTIFICATIONS_DEFAULT_FROM_EMAIL"] == "help@academy.example"
    printed = enabled.run("config", "printvalue", "NOTIFICATIONS_DEFAULT_FROM_EMAIL")
    assert printed.stdout.strip() == "help@academy.example"


def test_the_package_is_installed_into_the_openedx_image(enabled: TutorProject) -> None:
    assert "$PIP_COMMAND install platform-notifications\n" in enabled.read("build", "openedx", "Dockerfile")

    requirement = "platform-notifications @ git+https://github.com/example/platform-notifications@v1.2"
    enabled.run("config", "save", "--set", f"NOTIFICATIONS_PIP_REQUIREMENT={requirement}")

    dockerfile = enabled.read("build", "openedx", "Dockerfile")
    # Quoted for the shell, since a requirement may hold spaces, '>' or '<'.
    assert f"$PIP_COMMAND install '{requirement}'\n" in dockerfile


def test_the_beat_schedule_adds_the_four_periodic_tasks(enabled: TutorProject) -> None:
    other = {"other-plugin-task": {"task": "other.task", "schedule": timedelta(hours=1)}}

    schedule = beat_schedule(enabled, dict(other))

    by_task = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert set(by_task) == TASKS | {"other.task"}
    assert by_task["platform_notifications.tasks.sweep_stale_requests"] == timedelta(minutes=5)
    assert by_task["platform_notifications.tasks.send_due_digests"] == timedelta(minutes=15)
    assert by_task["platform_notifications.tasks.sweep_deliveries"] == timedelta(minutes=5)
    purge = by_task["platform_notifications.tasks.purge_expired_notifications"]
    assert (purge.hour, purge.minute, len(purge.day_of_week)) == ({3}, {30}, 7)  # once a day, every day
    # Only the LMS runs the beat: the CMS settings carry no schedule.
    assert "CELERYBEAT_SCHEDULE" not in enabled.read(*SETTINGS_FILES[1])


def test_a_beat_service_runs_in_local_dev_and_kubernetes(enabled: TutorProject) -> None:
    local = enabled.yaml("local", "docker-compose.yml")["services"][BEAT]
    assert local["command"][:3] == ["celery", "--app=lms.celery", "beat"]
    assert local["environment"]["DJANGO_SETTINGS_MODULE"] == "lms.envs.tutor.production"
    assert local["image"] == enabled.run("config", "printvalue", "DOCKER_IMAGE_OPENEDX").stdout.strip()
    assert "../apps/openedx/settings/lms:/openedx/edx-platform/lms/envs/tutor:roz" in local["volumes"]

    dev = enabled.yaml("dev", "docker-compose.yml")["services"][BEAT]
    assert dev["environment"]["DJANGO_SETTINGS_MODULE"] == "lms.envs.tutor.development"
    assert dev["image"] == enabled.run("config", "printvalue", "DOCKER_IMAGE_OPENEDX_DEV").stdout.strip()

    documents = yaml.safe_load_all(enabled.read("k8s", "deployments.yml"))
    deployment = next(doc for doc in documents if doc and doc["metadata"]["name"] == BEAT)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == local["command"]


def test_run_beat_false_drops_the_services_but_keeps_the_schedule(enabled: TutorProject) -> None:
    enabled.run("config", "save", "--set", "NOTIFICATIONS_RUN_BEAT=false")

    assert BEAT not in enabled.yaml("local", "docker-compose.yml")["services"]
    assert BEAT not in enabled.yaml("dev", "docker-compose.yml")["services"]
    assert BEAT not in enabled.read("k8s", "deployments.yml")
    # Whichever beat the operator runs instead still needs the schedule.
    assert "platform_notifications.tasks.send_due_digests" in enabled.read(*LMS_PRODUCTION)


def test_front_end_channels_are_set_where_an_mfe_plugin_renders_its_config(project: TutorProject) -> None:
    (project.plugins_root / "fakemfe.py").write_text(FAKE_MFE_PLUGIN, encoding="utf-8")
    project.run("plugins", "disable", "mfe")  # only the stand-in should define MFE_CONFIG here
    project.run("plugins", "enable", "fakemfe", "notifications")

    source = project.read(*LMS_PRODUCTION)
    assert source.index("MFE_CONFIG = {}") < source.index('MFE_CONFIG["SHOW_EMAIL_CHANNEL"]')
    assert mfe_config_of(source) == {"SHOW_EMAIL_CHANNEL": "true", "SHOW_PUSH_CHANNEL": "false"}

    project.run(
        "config",
        "save",
        "--set",
        "NOTIFICATIONS_ENABLE_SHOW_EMAIL_CHANNEL=false",
        "--set",
        "NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL=true",
    )

    source = project.read(*LMS_PRODUCTION)
    assert mfe_config_of(source) == {"SHOW_EMAIL_CHANNEL": "false", "SHOW_PUSH_CHANNEL": "true"}


@pytest.mark.skipif(not HAS_TUTOR_MFE, reason="tutor-mfe is not installed (pip install tutor-mfe)")
def test_front_end_channels_reach_tutor_mfe_config(enabled: TutorProject) -> None:
    assert "mfe" in enabled.config()["PLUGINS"]  # Tutor enables mfe by default

    for path in (SETTINGS_FILES[0], SETTINGS_FILES[2]):
        source = enabled.read(*path)
        assert source.index("MFE_CONFIG = {") < source.index('MFE_CONFIG["SHOW_EMAIL_CHANNEL"]'), path
        assert mfe_config_of(source) == {"SHOW_EMAIL_CHANNEL": "true", "SHOW_PUSH_CHANNEL": "false"}


def test_front_end_channels_are_absent_without_an_mfe_plugin(project: TutorProject) -> None:
    project.run("plugins", "disable", "mfe")
    project.run("plugins", "enable", "notifications")

    for path in SETTINGS_FILES:
        assert "SHOW_EMAIL_CHANNEL" not in project.read(*path)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", "25"),
        ("NOTIFICATIONS_DAILY_DIGEST_MINUTE", "61"),
        ("NOTIFICATIONS_WEEKLY_DIGEST_DAY", "7"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "not-an-address"),
        ("NOTIFICATIONS_EXPIRY_DAYS", "-1"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", "[new_response]"),
        ("NOTIFICATIONS_APPS_OVERRIDE", "{grading: {email_cadence: Hourly}}"),
    ],
)
def test_config_save_refuses_invalid_values(enabled: TutorProject, setting: str, value: str) -> None:
    before = enabled.read(*LMS_PRODUCTION)

    result = enabled.run("config", "save", "--set", f"{setting}={value}", ok=False)

    assert result.returncode != 0
    assert "Invalid platform-notifications configuration" in result.stderr + result.stdout
    assert f"{setting}=" in result.stderr + result.stdout
    # Nothing invalid reached the rendered environment.
    assert enabled.read(*LMS_PRODUCTION) == before


def test_an_invalid_environment_variable_is_refused(enabled: TutorProject) -> None:
    result = enabled.run("config", "save", env={"TUTOR_NOTIFICATIONS_DAILY_DIGEST_HOUR": "24"}, ok=False)

    assert result.returncode != 0
    assert "NOTIFICATIONS_DAILY_DIGEST_HOUR=24" in result.stderr + result.stdout


def test_disabling_the_plugin_removes_everything_it_rendered(enabled: TutorProject) -> None:
    enabled.run("plugins", "disable", "notifications")
    enabled.run("config", "save")

    assert "notifications" not in enabled.config()["PLUGINS"]
    for path in SETTINGS_FILES:
        source = enabled.read(*path)
        assert "platform_notifications" not in source, path
        assert "platform-notifications" not in source, path
        # Tutor itself sets NOTIFICATIONS_DEFAULT_FROM_EMAIL (for Open edX's own notifications app).
        for name in set(DEFAULT_SETTINGS) - {"NOTIFICATIONS_DEFAULT_FROM_EMAIL"}:
            assert name not in source, (path, name)
    assert "platform-notifications" not in enabled.read("build", "openedx", "Dockerfile")
    assert BEAT not in enabled.yaml("local", "docker-compose.yml")["services"]
    assert BEAT not in enabled.read("k8s", "deployments.yml")
    # Its values no longer exist either, so they cannot be checked or printed.
    assert enabled.run("config", "printvalue", "NOTIFICATIONS_EXPIRY_DAYS", ok=False).returncode != 0
