from django.urls import path

from citydesk.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("a/<int:pk>/", views.article, name="article"),
    path("a/<int:pk>/<int:page>/", views.article, name="article_page"),
    path("zhuanti/", views.topic_list, name="topic_list"),
    path("zhuanti/<slug:slug>/", views.topic, name="topic"),
    path("people/<str:slug>/", views.person, name="person"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("about/", views.about, name="about"),
    path("<slug:slug>/", views.channel, name="channel"),
]
