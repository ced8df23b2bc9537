"""`tutor local do init --limit=notifications`: the recorded task, and its script run against a fake manage.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the fixtures provide it; conftest modules are not meant to be imported
    from conftest import TutorProject

FLAGS = ["notifications.enable_notifications", "notifications.enable_email_notifications"]

# Mimics the two `./manage.py lms ...` commands the script uses, with django-waffle's semantics and output
# format (`waffle_flag --list` prints "NAME: <flag>" lines; `--create` is get_or_create; `--everyone` turns
# the flag on, `--deactivate` off). State lives in flags.json, every call is logged in calls.log.
FAKE_MANAGE_PY = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path

    state_file, log = Path("flags.json"), Path("calls.log")
    flags = json.loads(state_file.read_text()) if state_file.exists() else {}
    args = sys.argv[1:]
    with log.open("a") as out:
        out.write(" ".join(args) + "\\n")
    if args[:2] == ["lms", "migrate"]:
        sys.exit(1 if os.environ.get("FAIL_MIGRATE") else 0)
    assert args[:2] == ["lms", "waffle_flag"], args
    if "--list" in args:
        print("Flags:")
        for name, everyone in flags.items():
            print(f"NAME: {name}\\nSUPERUSERS: True\\nEVERYONE: {everyone}\\n")
        sys.exit(0)
    name = [arg for arg in args[2:] if not arg.startswith("--")][0]
    if name not in flags and "--create" not in args:
        sys.exit("CommandError: This flag does not exist.")
    flags.setdefault(name, None)
    if "--everyone" in args:
        flags[name] = True
    if "--deactivate" in args:
        flags[name] = False
    state_file.write_text(json.dumps(flags))
    """
)


def init_tasks(project: TutorProject) -> list[dict[str, str]]:
    return project.record_tasks("local", "do", "init", "--limit=notifications")


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A directory standing in for /openedx/edx-platform, with the fake manage.py."""
    directory = tmp_path / "edx-platform"
    directory.mkdir()
    manage = directory / "manage.py"
    manage.write_text(f"#!{sys.executable}\n{FAKE_MANAGE_PY}", encoding="utf-8")
    manage.chmod(0o755)
    return directory


def run_script(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run a task script the way Tutor's compose runner does: `sh -e -c <script>` in the job container."""
    return subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def flags(platform: Path) -> dict[str, Any]:
    state = platform / "flags.json"
    return json.loads(state.read_text()) if state.exists() else {}


def calls(platform: Path) -> list[str]:
    return (platform / "calls.log").read_text().splitlines()


def test_init_runs_one_lms_task_that_migrates_and_creates_the_flags(enabled: TutorProject) -> None:
    tasks = init_tasks(enabled)

    assert [task["service"] for task in tasks] == ["lms"]
    script = tasks[0]["command"]
    assert "./manage.py lms migrate platform_notifications" in script
    assert "./manage.py lms waffle_flag --list" in script
    for flag in FLAGS:
        assert flag in script


def test_full_init_includes_the_plugin_task_after_the_core_lms_task(enabled: TutorProject) -> None:
    tasks = enabled.record_tasks("local", "do", "init")

    ours = [i for i, task in enumerate(tasks) if "migrate platform_notifications" in task["command"]]
    core_lms = [i for i, task in enumerate(tasks) if task["service"] == "lms" and i not in ours]
    assert len(ours) == 1
    assert core_lms and max(core_lms) < ours[0]  # the platform's own migrations come first


def test_without_the_plugin_init_has_no_notifications_task(enabled: TutorProject) -> None:
    enabled.run("plugins", "disable", "notifications")

    assert init_tasks(enabled) == []
    assert not any("platform_notifications" in task["command"] for task in enabled.record_tasks("local", "do", "init"))


def test_init_script_creates_the_flags_once_and_a_second_run_changes_nothing(
    enabled: TutorProject, platform: Path
) -> None:
    script = init_tasks(enabled)[0]["command"]

    first = run_script(script, platform)
    assert first.returncode == 0, first.stderr
    assert flags(platform) == dict.fromkeys(FLAGS, True)
    creations = [call for call in calls(platform) if "--create" in call]
    assert len(creations) == 2

    second = run_script(script, platform)

    assert second.returncode == 0, second.stderr
    assert flags(platform) == dict.fromkeys(FLAGS, True)
    assert [call for call in calls(platform) if "--create" in call] == creations  # nothing created again
    assert "already exists" in second.stdout


def test_init_script_leaves_a_flag_the_operator_switched_off(enabled: TutorProject, platform: Path) -> None:
    script = init_tasks(enabled)[0]["command"]
    assert run_script(script, platform).returncode == 0
    off = run_script(f"./manage.py lms waffle_flag --deactivate {FLAGS[1]}", platform)
    assert off.returncode == 0, off.stderr

    again = run_script(script, platform)

    assert again.returncode == 0, again.stderr
    assert flags(platform) == {FLAGS[0]: True, FLAGS[1]: False}


def test_init_script_stops_when_the_migration_fails(enabled: TutorProject, platform: Path) -> None:
    script = init_tasks(enabled)[0]["command"]

    result = run_script(script, platform, FAIL_MIGRATE="1")

    assert result.returncode != 0
    assert flags(platform) == {}
    assert calls(platform) == ["lms migrate platform_notifications"]
