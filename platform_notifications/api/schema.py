"""The OpenAPI schema of this API alone (a host project's other endpoints are left out)."""

from __future__ import annotations

API_MODULE_PREFIX = "platform_notifications."


def only_this_api(endpoints: list, **kwargs) -> list:
    """drf-spectacular preprocessing hook: keep the endpoints whose views live in this package."""
    return [endpoint for endpoint in endpoints if endpoint[3].__module__.startswith(API_MODULE_PREFIX)]


SCHEMA_SETTINGS = {
    "TITLE": "platform-notifications API",
    "DESCRIPTION": "Tray, counts and preferences of the notifications plugin (Open edX-compatible).",
    "VERSION": "1.0.0",
    "PREPROCESSING_HOOKS": [f"{__name__}.only_this_api"],
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
