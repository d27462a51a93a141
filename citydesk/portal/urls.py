from django.urls import path

from citydesk.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("a/<int:pk>/", views.article, name="article"),
    path("a/<int:pk>/<int:page>/", views.article, name="article_page"),
    path("zhuanti/", views.topic_list, name="topic_list"),
    path("zhuanti/page/<int:page>/", views.topic_list, name="topic_list_page"),
    path("zhuanti/<slug:slug>/", views.topic, name="topic"),
    path("zhuanti/<slug:slug>/page/<int:page>/", views.topic, name="topic_page"),
    path("people/<str:slug>/", views.person, name="person"),
    path("people/<str:slug>/page/<int:page>/", views.person, name="person_page"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("tag/<str:slug>/page/<int:page>/", views.tag, name="tag_page"),
    path("about/", views.about, name="about"),
    path("<slug:slug>/", views.channel, name="channel"),
    path("<slug:slug>/page/<int:page>/", views.channel, name="channel_page"),
]
