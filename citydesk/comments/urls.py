from django.urls import path

from citydesk.comments import views

app_name = "comments"
urlpatterns = [
    path("fragments/comments/<id:pk>/", views.comments_fragment, name="fragment"),
    path("comments/<id:pk>/", views.post, name="post"),
    path("comments/report/<id:pk>/", views.report, name="report"),
    path("newsroom/comments/", views.moderation, name="moderation"),
]
