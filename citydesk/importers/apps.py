from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "citydesk.importers"
    verbose_name = "导入"
