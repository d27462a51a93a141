from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "citydesk.core"
    verbose_name = "核心"

    def ready(self) -> None:
        # Before any URLconf is read (apps are ready before the first request).
        from django.db.backends.signals import connection_created

        from citydesk.core import converters, pgtypes, replica

        converters.register()
        connection_created.connect(pgtypes.adapt)
        del replica  # imported for its start-up check
