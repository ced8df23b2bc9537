"""Build hook: the gettext catalogs (``platform_notifications/locale/*/LC_MESSAGES/*.po``) are compiled to ``.mo``.

A wheel gets the compiled catalogs in its build directory; an editable install (``make install``) compiles them
beside their sources, where Django's translation loader finds them. The ``.mo`` files are never committed.
"""

from pathlib import Path

import polib
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = "platform_notifications/locale"


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for source in sorted((root / CATALOGS).glob("*/LC_MESSAGES/*.po")):
            relative = source.relative_to(root).with_suffix(".mo")
            target = root / relative if self.editable_mode else Path(self.build_lib) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            polib.pofile(str(source)).save_as_mofile(str(target))


setup(cmdclass={"build_py": BuildWithCatalogs})
