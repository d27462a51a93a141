from django.urls import path

from citydesk.newsroom import pay_views, plan_views, views

app_name = "newsroom"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("new/", views.new, name="new"),
    path("plan/", plan_views.plan, name="plan"),
    path("pay/", pay_views.report, name="pay"),
    path("images/", views.upload_image, name="upload-image"),
    path("a/<id:pk>/edit/", views.edit, name="edit"),
    path("a/<id:pk>/preview/", views.preview, name="preview"),
    path("a/<id:pk>/preview/<id:page>/", views.preview, name="preview-page"),
    path("a/<id:pk>/history/", views.history, name="history"),
    path("a/<id:pk>/restore/<id:revision>/", views.restore, name="restore"),
    path("a/<id:pk>/lock/", views.lock, name="lock"),
    path("a/<id:pk>/live/", views.live, name="live"),
    path("a/<id:pk>/distribute/", views.distribute, name="distribute"),
    path("a/<id:pk>/<str:name>/", views.step, name="step"),
    path("tasks/<uuid:task_id>/retry/", views.retry_task, name="retry-task"),
]
