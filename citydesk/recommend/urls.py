from django.urls import path

from citydesk.recommend import views

app_name = "recommend"

urlpatterns = [
    path("fragments/picks/", views.picks, name="picks"),
    path("fragments/related/<id:pk>/", views.related, name="related"),
]
