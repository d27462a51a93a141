from django.urls import path

from citydesk.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("a/<id:pk>/", views.article, name="article"),
    path("a/<id:pk>/<id:page>/", views.article, name="article_page"),
    path("live/<id:pk>/", views.live_updates, name="live_updates"),
    path("zhuanti/", views.topic_list, name="topic_list"),
    path("zhuanti/page/<id:page>/", views.topic_list, name="topic_list_page"),
    path("zhuanti/<slug:slug>/", views.topic, name="topic"),
    path("zhuanti/<slug:slug>/page/<id:page>/", views.topic, name="topic_page"),
    path("people/<str:slug>/", views.person, name="person"),
    path("people/<str:slug>/page/<id:page>/", views.person, name="person_page"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("tag/<str:slug>/page/<id:page>/", views.tag, name="tag_page"),
    path("about/", views.about, name="about"),
    path("<slug:slug>/", views.channel, name="channel"),
    path("<slug:slug>/page/<id:page>/", views.channel, name="channel_page"),
]
