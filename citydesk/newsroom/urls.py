from django.urls import path

from citydesk.newsroom import views

app_name = "newsroom"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new, name="new"),
    path("images/", views.upload_image, name="upload-image"),
    path("a/<int:pk>/edit/", views.edit, name="edit"),
    path("a/<int:pk>/preview/", views.preview, name="preview"),
    path("a/<int:pk>/preview/<int:page>/", views.preview, name="preview-page"),
    path("a/<int:pk>/history/", views.history, name="history"),
    path("a/<int:pk>/restore/<int:revision>/", views.restore, name="restore"),
    path("a/<int:pk>/lock/", views.lock, name="lock"),
    path("a/<int:pk>/<str:name>/", views.step, name="step"),
    path("tasks/<uuid:task_id>/retry/", views.retry_task, name="retry-task"),
]
