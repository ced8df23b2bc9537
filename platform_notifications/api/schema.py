"""The OpenAPI schema of this API alone (a host project's other endpoints are left out)."""

from __future__ import annotations

API_MODULE_PREFIX = "platform_notifications."


def only_this_api(endpoints: list, **kwargs) -> list:
    """drf-spectacular preprocessing hook: keep the endpoints whose views live in this package."""
    return [endpoint for endpoint in endpoints if endpoint[3].__module__.startswith(API_MODULE_PREFIX)]


#: DRF's body for authentication and permission failures.
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
COMMON_RESPONSES = {
    "401": "Not signed in",
    "403": "Signed in, but the request failed a check (a session request without its CSRF token)",
}
#: Body fields and parameters that name an app: the server accepts only configured, enabled apps.
APP_FIELDS = ("app_name", "notification_app")


def state_the_limits(result: dict, generator=None, request=None, public=None) -> dict:
    """drf-spectacular postprocessing hook: what the server enforces beyond the serializers' field types.

    The apps (and, for the preferences PUT, each app's editable rows and channels) come from the registry as
    configured when the schema is generated, so the served schema matches the server it describes.
    """
    from platform_notifications.api.base import enabled_app_names

    apps = enabled_app_names()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for code, description in COMMON_RESPONSES.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": DETAIL}}}
                )
            if "requestBody" in operation:
                operation["responses"].setdefault("415", {"description": "The body is not JSON"})
            if operation.get("parameters") or "requestBody" in operation or method != "get":
                # Every operation that takes input (a body, a query, a path) refuses bad input with a 400.
                operation["responses"].setdefault(
                    "400", {"description": "Refused input (the body says why); nothing changed"}
                )
            if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
                # An object that does not exist and someone else's answer the same 404 (nothing leaks).
                operation["responses"].setdefault("404", {"description": "No such object of yours"})
            for parameter in operation.get("parameters", []):
                if parameter["name"] in APP_FIELDS:
                    # The list treats an empty app_name as "all apps".
                    allowed = ["", *apps] if parameter["in"] == "query" else apps
                    parameter["schema"] = {**parameter["schema"], "enum": allowed}
            if path.endswith("/read/") and "{" not in path and method == "patch":  # the tray's read/, not <id>/read/
                _body(operation, result)["minProperties"] = 1
            if path.endswith("/configurations/") and method == "put":
                operation["requestBody"]["content"]["application/json"]["schema"] = _preference_change_schema(apps)
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, field in component.get("properties", {}).items():
            if name in APP_FIELDS and not field.get("readOnly"):
                field["enum"] = list(apps)
    return result


def _body(operation: dict, result: dict) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return result["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _preference_change_schema(apps: list[str]) -> dict:
    """One alternative per (app, editable row): its channels that are not locked, with a value or a cadence.

    Rows shown only to some roles (``visible_to``) are left out: they are accepted from those users only.
    """
    from platform_notifications.config.enums import Cadence, Channel
    from platform_notifications.preferences import changes

    alternatives = []
    for app_name in apps:
        for key in changes.editable_rows(app_name, frozenset()):
            locked = changes.row_defaults(app_name, key).non_editable
            base = {"notification_app": {"type": "string", "enum": [app_name]}, "notification_type": {"enum": [key]}}
            switches = [c.value for c in Channel if c not in locked]
            if switches:
                alternatives.append(
                    {
                        "type": "object",
                        "properties": {
                            **base,
                            "notification_channel": {"type": "string", "enum": switches},
                            "value": {"type": "boolean"},
                        },
                        "required": ["notification_app", "notification_type", "notification_channel", "value"],
                    }
                )
            if Channel.EMAIL not in locked:
                alternatives.append(
                    {
                        "type": "object",
                        "properties": {
                            **base,
                            "notification_channel": {"type": "string", "enum": [changes.CADENCE_CHANNEL]},
                            "email_cadence": {"type": "string", "enum": [c.value for c in Cadence]},
                        },
                        "required": ["notification_app", "notification_type", "notification_channel", "email_cadence"],
                    }
                )
    return {"oneOf": alternatives, "description": "One change: a channel switch with its value, or the cadence."}


SCHEMA_SETTINGS = {
    "TITLE": "platform-notifications API",
    "DESCRIPTION": "Tray, counts and preferences of the notifications plugin (Open edX-compatible).",
    "VERSION": "1.0.0",
    "PREPROCESSING_HOOKS": [f"{__name__}.only_this_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        f"{__name__}.state_the_limits",
    ],
}


def schema_view():
    from drf_spectacular.views import SpectacularAPIView

    # Public like any API documentation: it describes endpoints, never data.
    return SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS, authentication_classes=[], permission_classes=[])


def render_schema() -> str:
    """The schema as YAML, exactly as ``schema/`` serves it (the host's URL prefix included)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer
    from drf_spectacular.settings import patched_settings

    with patched_settings(SCHEMA_SETTINGS):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def main(argv: list[str] | None = None) -> None:
    """``python -m platform_notifications.api.schema [path]``: write the schema (default: stdout)."""
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
    django.setup()
    args = sys.argv[1:] if argv is None else argv
    text = render_schema()
    if args:
        with open(args[0], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
