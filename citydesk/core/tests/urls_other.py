"""A second URLconf, for the test that remembered URLs follow a change of ROOT_URLCONF."""

from django.http import HttpResponse
from django.urls import include, path

portal = (
    [path("elsewhere/<int:pk>/", lambda request, pk: HttpResponse(), name="article")],
    "portal",
)
urlpatterns = [path("", include(portal))]
