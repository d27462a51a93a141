"""HEAD for the API: answered as its GET, without the body.

django-ninja routes a GET operation for GET alone (HEAD got 405), while HTTP has every
GET answer a HEAD too (RFC 9110, 9.3.2): a client or a cache checking an ETag or a
Content-Length asks with HEAD. The GET is run, so the headers are exactly its headers.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

PREFIX = "/api/"


class HeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD" or not request.path.startswith(PREFIX):
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if not response.streaming:
            body: bytes = response.content  # type: ignore[attr-defined]
            response["Content-Length"] = str(len(body))
            response.content = b""  # type: ignore[attr-defined]
        return response
