from django.apps import AppConfig
from django_tasks_db.apps import TasksAppConfig


class WorkerConfig(AppConfig):
    name = "citydesk.worker"
    verbose_name = "后台任务"


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks-db's app, named in Chinese in the admin (the package ships no zh-hans
    translation, and its app name is a plain string)."""

    verbose_name = "后台任务"

    def ready(self) -> None:
        super().ready()
        meta = self.get_model("DBTaskResult")._meta
        meta.verbose_name = meta.verbose_name_plural = "后台任务"
