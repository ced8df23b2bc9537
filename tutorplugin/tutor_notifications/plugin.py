"""Tutor hooks of the `notifications` plugin: configuration, patches, init task and validation."""

from __future__ import annotations

import shlex
from importlib import resources
from typing import Any

from tutor import exceptions, hooks
from tutor.types import Config

from . import validation

PACKAGE_ROOT = resources.files("tutor_notifications")

########################################
# CONFIGURATION
########################################

# Every key is listed here, with its default, so that `tutor config printvalue` answers for all of them and
# TUTOR_<KEY> environment variables apply (Tutor only reads the environment for keys it knows about).
hooks.Filters.CONFIG_DEFAULTS.add_items(
    [
        ("NOTIFICATIONS_PIP_REQUIREMENT", "platform-notifications"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "{{ CONTACT_EMAIL }}"),
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", 17),
        ("NOTIFICATIONS_DAILY_DIGEST_MINUTE", 0),
        ("NOTIFICATIONS_WEEKLY_DIGEST_DAY", 0),
        ("NOTIFICATIONS_WEEKLY_DIGEST_HOUR", 17),
        ("NOTIFICATIONS_WEEKLY_DIGEST_MINUTE", 0),
        ("NOTIFICATIONS_IMMEDIATE_EMAIL_BUFFER_MINUTES", 15),
        ("NOTIFICATIONS_EXPIRY_DAYS", 60),
        ("NOTIFICATIONS_RETENTION_DAYS", 30),
        ("NOTIFICATIONS_TYPES_OVERRIDE", {}),
        ("NOTIFICATIONS_APPS_OVERRIDE", {}),
        ("NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT", "100/m"),
        ("NOTIFICATIONS_ENABLE_SHOW_EMAIL_CHANNEL", True),
        ("NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL", False),
        ("NOTIFICATIONS_RUN_BEAT", True),
        # Serve the plugin's API at /api/notifications/ (where the stock front ends call), ahead of Open edX's
        # own notifications app, whose sending the plugin switches off.
        ("NOTIFICATIONS_SERVE_OPENEDX_PATHS", True),
    ]
)


@hooks.Actions.CONFIG_LOADED.add()
def _refuse_invalid_values(config: Config) -> None:
    """
    Stop `tutor config save` (and every command that loads the configuration) on an invalid value.

    Tutor writes config.yml before it loads the full configuration, so an invalid --set value stays in
    config.yml; raising here still keeps it out of the rendered environment, and the message says how
    to correct it.
    """
    problems = validation.find_problems(config)
    if problems:
        raise exceptions.TutorError(validation.error_message(problems))


########################################
# TEMPLATE RENDERING
########################################


def python_literal(value: Any) -> str:
    """Render a YAML-loaded value (str, int, bool, dict, list) as Python source for a settings file."""
    return repr(value)


hooks.Filters.ENV_TEMPLATE_FILTERS.add_items(
    [
        # Prefixed names: Jinja filters share one namespace with every other plugin.
        ("notifications_python", python_literal),
        ("notifications_shell_quote", shlex.quote),
    ]
)

########################################
# PATCHES
########################################

# One file per patch; the file name is the name of the Tutor patch it fills.
for _patch in sorted((PACKAGE_ROOT / "patches").iterdir(), key=lambda path: path.name):
    if _patch.is_file():
        hooks.Filters.ENV_PATCHES.add_item((_patch.name, _patch.read_text(encoding="utf-8")))

# `tutor mounts add /path/to/platform-notifications` then installs the checkout into the images as an
# editable package and bind-mounts it into the containers, as Tutor does for edx-platform dependencies.
hooks.Filters.MOUNTED_DIRECTORIES.add_item(("openedx", "platform-notifications"))

########################################
# INITIALISATION TASKS
########################################

INIT_SCRIPT = PACKAGE_ROOT / "templates" / "notifications" / "tasks" / "lms" / "init.sh"

hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", INIT_SCRIPT.read_text(encoding="utf-8")))
