"""Locale tags of notification email: BCP 47, lower case, hyphenated (``fr``, ``fr-ca``, ``zh-hans``).

``check_tag`` refuses a malformed tag or one whose language Django does not know; ``normalise`` reads what a
host stored (``fr_CA``, ``fr-CA``) leniently; ``fallbacks`` is the order templates are looked up in: the
reader's locale, its language, ``NOTIFICATIONS_DEFAULT_LOCALE`` (else ``LANGUAGE_CODE``), then its language.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.conf.locale import LANG_INFO

from platform_notifications.config.settings import get_setting

#: A language subtag (2-3 letters) and optional subtags of 2-8 letters or digits, all lower case.
TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
MAX_TAG_LENGTH = 16


def known_language(language: str) -> bool:
    """Whether Django knows ``language`` (its own table, or the project's ``LANGUAGES``)."""
    return language in LANG_INFO or any(code.lower().split("-")[0] == language for code, _ in settings.LANGUAGES)


def check_tag(tag: object) -> str:
    """``tag`` if it is a lower-case BCP 47 tag of a known language; raises ``UnknownLocale`` otherwise."""
    from platform_notifications.exceptions import UnknownLocale

    if not isinstance(tag, str) or not tag:
        raise UnknownLocale(f"locale must be a BCP 47 tag such as 'fr' or 'fr-ca', got {tag!r}")
    if len(tag) > MAX_TAG_LENGTH or not TAG.fullmatch(tag):
        raise UnknownLocale(
            f"locale {tag!r} is not a lower-case BCP 47 tag with hyphens (such as 'fr', 'fr-ca', 'zh-hans')"
        )
    if not known_language(tag.split("-")[0]) and tag not in LANG_INFO:
        raise UnknownLocale(f"locale {tag!r}: unknown language {tag.split('-')[0]!r}")
    return tag


def normalise(value: str | None) -> str:
    """A stored language or locale as a lower-case hyphenated tag ("" when empty or unreadable)."""
    if not value or not isinstance(value, str):
        return ""
    tag = value.strip().replace("_", "-").lower()
    return tag if len(tag) <= MAX_TAG_LENGTH and TAG.fullmatch(tag) else ""


def default_locale() -> str:
    return normalise(get_setting("NOTIFICATIONS_DEFAULT_LOCALE") or settings.LANGUAGE_CODE)


def fallbacks(reader: str | None) -> list[str]:
    """Tags to try, in order, for a reader whose locale is ``reader``: ``fr-ca``, ``fr``, the default, its language."""
    chain: list[str] = []
    for tag in (normalise(reader), default_locale()):
        for candidate in (tag, tag.split("-")[0]):
            if candidate and candidate not in chain:
                chain.append(candidate)
    return chain
