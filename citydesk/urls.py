from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve as serve_file

from citydesk.api.views import urls as api_urls

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("", include("citydesk.comments.urls")),  # before the newsroom: its queue is there
    path("newsroom/", include("citydesk.newsroom.urls")),
    path("api/v1/", api_urls()),
    path("", include("citydesk.ops.urls")),
    # Before the portal: its "<slug>/" channel pattern is a catch-all.
    path("", include("citydesk.syndication.urls")),
    path("", include("citydesk.recommend.urls")),
    path("", include("citydesk.rankings.urls")),
    path("search/", include("citydesk.search.urls")),
    path("wechat/", include("citydesk.wechat.urls")),
    path("", include("citydesk.portal.urls")),
]

if settings.CITYDESK_SERVE_MEDIA:
    urlpatterns += [
        # A week, as nginx's config gives media: an upload's name is never reused (Django
        # adds a suffix), a cover's renditions only when the cover is stored again.
        re_path(
            r"^media/(?P<path>.*)$",
            cache_control(public=True, max_age=604800)(serve_file),
            {"document_root": settings.MEDIA_ROOT},
        ),
    ]

handler404 = "citydesk.portal.views.page_not_found"
handler500 = "citydesk.portal.views.server_error"
