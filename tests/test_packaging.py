"""The built wheel ships the templates: a non-editable install renders them."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "platform_notifications" / "templates"

RENDER = """
import django, platform_notifications, sys
django.setup()
from django.template.loader import get_template
assert platform_notifications.__file__.startswith(sys.argv[1]), platform_notifications.__file__
for name in sys.argv[2:]:
    template = get_template(name)
    assert template.origin.name.startswith(sys.argv[1]), template.origin.name
print("rendered", len(sys.argv) - 2)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("platform_notifications-*.whl")
    return built


def test_wheel_contains_every_template(wheel):
    expected = {
        f"platform_notifications/templates/{path.relative_to(TEMPLATES).as_posix()}"
        for path in TEMPLATES.rglob("*")
        if path.is_file()
    }
    assert expected, "no templates found in the source tree"
    with zipfile.ZipFile(wheel) as archive:
        assert expected <= set(archive.namelist())


def test_installed_wheel_loads_its_own_templates(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    names = [path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")]
    # The unpacked wheel comes first on the path, ahead of the editable checkout; settings come from the repo.
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(site), *names],
        env={"PYTHONPATH": f"{site}:{ROOT}", "DJANGO_SETTINGS_MODULE": "settings.test", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"rendered {len(names)}"


TRANSLATE = """
import django, platform_notifications, sys
django.setup()
from django.utils import translation
assert platform_notifications.__file__.startswith(sys.argv[1]), platform_notifications.__file__
with translation.override("fr"):
    print(translation.gettext("View all notifications"))
    print(translation.ngettext("%(count)d other", "%(count)d others", 3) % {"count": 3})
"""


def test_wheel_ships_the_compiled_catalogs(wheel):
    sources = sorted((ROOT / "platform_notifications" / "locale").glob("*/LC_MESSAGES/*.po"))
    assert sources, "no catalog in the source tree"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for source in sources:
        assert source.relative_to(ROOT).with_suffix(".mo").as_posix() in names


def test_installed_wheel_translates_with_its_own_catalog(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    result = subprocess.run(
        [sys.executable, "-c", TRANSLATE, str(site)],
        env={"PYTHONPATH": f"{site}:{ROOT}", "DJANGO_SETTINGS_MODULE": "settings.test", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Voir toutes les notifications", "3 autres"]
