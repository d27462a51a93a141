"""HEAD for the API: answered as its GET, without the body.

django-ninja routes a GET operation for GET alone (HEAD got 405), while HTTP has every
GET answer a HEAD too (RFC 9110, 9.3.2): a client or a cache checking an ETag or a
Content-Length asks with HEAD. The GET is run, so the headers are exactly its headers.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from citydesk.publishing.http import API_PREFIX


class HeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD" or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        # The GET's headers (CommonMiddleware gave it its Content-Length); no body, which
        # servers drop for HEAD anyway. A 304 or 204 keeps the headers it was given.
        if response.streaming:
            response.streaming_content = []  # type: ignore[attr-defined]
        else:
            response.content = b""  # type: ignore[attr-defined]
        return response
