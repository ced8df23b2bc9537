"""Fixtures of the browser suite: the demo platform started by its own launcher, and headless Chromium.

The demo runs exactly as ``make run`` starts it (migrate, seed, Celery worker and beat, web server) on a
fresh SQLite file in a temporary folder and a free port; the launcher is stopped with SIGINT at the end
and must exit cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo"


@dataclass(frozen=True)
class Demo:
    url: str
    var_dir: Path
    env: dict

    def manage(self, code: str) -> str:
        """Run Python in the demo's Django (its settings and database); returns stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "django", "shell", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, launcher: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            pytest.fail(f"the demo launcher exited with {launcher.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the demo did not answer on {url}:\n{log.read_text()}")


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    var_dir = tmp_path_factory.mktemp("demo-var")
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.dev", "NOTIFICATIONS_VAR_DIR": str(var_dir)}
    env["NOTIFICATIONS_SITE_URL"] = f"http://127.0.0.1:{port}"
    # The embedded defaults, whatever the calling shell has configured.
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log = var_dir / "launcher.log"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "demo.run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/login/", launcher, log)
        yield Demo(url=url, var_dir=var_dir, env=env)
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            code = launcher.wait(timeout=40)
        except subprocess.TimeoutExpired:
            launcher.kill()
            code = "killed"
        (OUTPUT / "demo-launcher.log").parent.mkdir(exist_ok=True)
        (OUTPUT / "demo-launcher.log").write_text(log.read_text(errors="replace"))
    assert code == 0, f"the launcher did not stop cleanly ({code}); see test-output/demo-launcher.log"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(browser, demo):
    """``login("ana")`` -> a logged-in page in a browser context of its own; ``phone=True``: 375 px wide (an
    iPhone SE's CSS width), as a mobile browser."""
    contexts = []

    def log_in(username: str, *, phone: bool = False):
        viewport = {"width": 375, "height": 740} if phone else {"width": 1200, "height": 800}
        context = browser.new_context(viewport=viewport, base_url=demo.url, is_mobile=phone)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/forum/")
        return page

    yield log_in
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


RESET = """
from platform_notifications.models import DigestSchedule, Notification, NotificationPreference, UserNotificationSettings
for model in (Notification, NotificationPreference, UserNotificationSettings, DigestSchedule):
    model.objects.all().delete()
"""


@pytest.fixture
def clean_slate(demo):
    """Start a test with no notifications, preferences or digests left by an earlier one."""
    demo.manage(RESET)
