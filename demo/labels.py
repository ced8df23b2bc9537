"""Human labels for apps and kinds, from the configuration (the pages never show a raw type name)."""

from __future__ import annotations

from platform_notifications.config.kinds import registry as kinds
from platform_notifications.config.registry import registry as types


def app_label(name: str) -> str:
    """``discussion`` -> ``Discussion``: app names are single lower-case words (the tray contract)."""
    return name[:1].upper() + name[1:]


def apps() -> list[dict[str, str]]:
    """The enabled apps in configuration order (the tray's tab order)."""
    return [{"name": name, "label": app_label(name)} for name, app in types.apps().items() if app.enabled]


def kinds_by_app() -> list[dict]:
    """``[{"name", "label", "kinds": [{"kind", "label"}]}]``: every kind under its app, by label."""
    grouped: dict[str, list[dict[str, str]]] = {app["name"]: [] for app in apps()}
    for info in kinds.all():
        if info.app in grouped:
            grouped[info.app].append({"kind": info.kind, "label": str(info.display_name)})
    return [
        {**app, "kinds": sorted(grouped[app["name"]], key=lambda kind: kind["label"])}
        for app in apps()
        if grouped[app["name"]]
    ]


def labels() -> dict[str, dict[str, str]]:
    """The JSON the pages' scripts read: ``{"apps": {name: label}, "kinds": {kind: label}}``."""
    return {
        "apps": {app["name"]: app["label"] for app in apps()},
        "kinds": {kind["kind"]: kind["label"] for app in kinds_by_app() for kind in app["kinds"]},
    }
