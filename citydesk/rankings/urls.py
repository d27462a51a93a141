from django.urls import path, re_path

from citydesk.rankings import views

app_name = "rankings"

urlpatterns = [
    # Any path under /beacon/view/ reaches the view, which answers 404 for a bad id
    # itself, exactly as `citydesk serve`'s front does.
    re_path(r"^beacon/view/(?P<pk>[^/]*)/$", views.view_beacon, name="beacon"),
    path("hot/", views.hot, name="hot"),
    path("hot/<slug:window>/", views.hot, name="hot_window"),
    path("fragments/hot/", views.hot_fragment, name="hot_fragment"),
]
