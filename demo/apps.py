"""AppConfig of the demo platform (label ``demo``)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    label = "demo"
    verbose_name = "Demo platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from demo import kinds

        kinds.register()
