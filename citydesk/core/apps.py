from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "citydesk.core"
    verbose_name = "核心"

    def ready(self) -> None:
        # Before any URLconf is read (apps are ready before the first request).
        from citydesk.core import converters, replica

        converters.register()
        del replica  # imported for its start-up check
