from django.urls import path

from citydesk.newsroom import views

app_name = "newsroom"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("a/<int:pk>/<str:name>/", views.step, name="step"),
]
