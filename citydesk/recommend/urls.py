from django.urls import path

from citydesk.publishing import views

app_name = "publishing"

urlpatterns = [
    path("fragments/picks/", views.picks, name="picks"),
    path("fragments/hot/", views.hot, name="hot"),
    path("fragments/related/<int:pk>/", views.related, name="related"),
]
