"""Fixtures for the Tutor plugin tests: an isolated TUTOR_ROOT and a way to run `tutor` against it.

Each Tutor command runs in its own process. In-process runs would share Tutor's global hook registry, the
`IS_ROOT_READY` flag of the CLI object and the do-command callbacks that Tutor re-wraps every time plugins
load, so one test's plugins would leak into the next; a process per command keeps tests order-insensitive.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

DRIVER = Path(__file__).with_name("tutor_driver.py")


@dataclass
class TutorProject:
    """A temporary Tutor project root and helpers to run commands in it and read what they render."""

    root: Path
    plugins_root: Path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # Drop the caller's TUTOR_* variables: a developer's own settings must not change the results.
        env = {key: value for key, value in os.environ.items() if not key.startswith("TUTOR_")}
        env.update({"TUTOR_ROOT": str(self.root), "TUTOR_PLUGINS_ROOT": str(self.plugins_root)})
        env.update(extra or {})
        return env

    def run(self, *args: str, env: dict[str, str] | None = None, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, str(DRIVER), *args],
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if ok and result.returncode != 0:
            raise AssertionError(f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def record_tasks(self, *args: str) -> list[dict[str, str]]:
        """Run a `do` command with the recording runner and return the tasks it would have run."""
        log = self.root / "recorded-tasks.jsonl"
        log.unlink(missing_ok=True)
        self.run(*args, env={"RECORD_TASKS_TO": str(log)})
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    def read(self, *path: str) -> str:
        return self.root.joinpath("env", *path).read_text(encoding="utf-8")

    def yaml(self, *path: str) -> Any:
        return yaml.safe_load(self.read(*path))

    def config(self) -> dict[str, Any]:
        return yaml.safe_load((self.root / "config.yml").read_text(encoding="utf-8"))


def _new_project(directory: Path) -> TutorProject:
    plugins_root = directory / "plugins"
    plugins_root.mkdir(parents=True)
    return TutorProject(root=directory / "tutor-root", plugins_root=plugins_root)


def _copy_of(template: TutorProject, directory: Path) -> TutorProject:
    # Rendered files only hold paths relative to the root, so a copied root is a complete project.
    project = _new_project(directory)
    shutil.copytree(template.root, project.root)
    return project


@pytest.fixture(scope="session")
def _saved_template(tmp_path_factory: pytest.TempPathFactory) -> TutorProject:
    # Rendering a project takes about a second; each test gets its own copy instead of rendering anew.
    template = _new_project(tmp_path_factory.mktemp("saved"))
    template.run("config", "save")
    return template


@pytest.fixture(scope="session")
def _enabled_template(tmp_path_factory: pytest.TempPathFactory) -> TutorProject:
    template = _new_project(tmp_path_factory.mktemp("enabled"))
    template.run("plugins", "enable", "notifications")
    return template


@pytest.fixture
def project(tmp_path: Path, _saved_template: TutorProject) -> TutorProject:
    """A Tutor project of its own, saved with Tutor's defaults: the notifications plugin is not enabled."""
    return _copy_of(_saved_template, tmp_path)


@pytest.fixture
def enabled(tmp_path: Path, _enabled_template: TutorProject) -> TutorProject:
    """A Tutor project of its own with the notifications plugin enabled and the environment rendered."""
    return _copy_of(_enabled_template, tmp_path)
