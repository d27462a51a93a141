"""The integrators' API at /api/v1/ (django-ninja): articles as ninjs, the site's
channels, topics and people, search, hot rankings and today's picks.

Who calls decides what is seen (`auth.Caller`): anonymous callers and partners' tokens
see live content only; a newsroom member's token also sees pieces not live yet, under
the newsroom's embargo rules (newsroom.actions.may_read). Every response is JSON with
an ETag, answered 304 when the caller has it (Django's ConditionalGetMiddleware).
"""

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from ninja import Body, Field, NinjaAPI, Query, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator, BeforeValidator

from citydesk.api import cursors, drafts, ninjs
from citydesk.api import queries as api_queries
from citydesk.api.auth import Caller, TokenThrottle, caller_of
from citydesk.api.models import ApiToken, Scope
from citydesk.content.models import Article
from citydesk.newsroom.actions import may_read, readable
from citydesk.publishing import http
from citydesk.rankings import queries as rankings
from citydesk.recommend import queries as recommend
from citydesk.search import queries as search_queries
from citydesk.syndication.meta import absolute_url

# Answers any operation may give besides its own: the caller's token, the parameters, the
# rate limit.
COMMON_ERRORS = {
    "400": "the request body is not JSON",
    "401": "the token is unknown, revoked or expired",
    "413": "the request body is too large",
    "422": "a parameter or field is missing, of the wrong type or out of range",
    "429": "the rate limit is reached: retry after Retry-After seconds",
}


class CitydeskAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """django-ninja's schema, told two things it cannot know: reads need no token
        (a token only widens what is seen), and the errors every operation may answer."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                if method == "get":
                    operation["security"] = [{}, *operation.get("security", [])]
                # django-ninja keys responses by number: one spelling, or JSON gets the
                # same key twice.
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for code, text in COMMON_ERRORS.items():
                    if code in ("400", "413") and method == "get":
                        continue
                    responses.setdefault(code, {"description": text, "content": error})
        return schema


class Renderer(JSONRenderer):
    # Chinese as itself, not \\u escapes: a third of the bytes, and readable.
    json_dumps_params = {"ensure_ascii": False}


def _shared(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Let the page cache keep the answer to a plain request (no query string, token,
    profile or Origin: publishing.http.api_request_is_plain), which the fronts then serve
    to plain requests only; purged by the rules of the pages (publishing.affected)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        query = request.META.get("QUERY_STRING", "")
        if (
            response.status_code == 200
            and http.api_request_is_plain(query, request.headers)
            and request.path == _canonical_path(request)
        ):
            response.citydesk_cache = True  # type: ignore[attr-defined]
            patch_cache_control(response, **http.cache_control_for(request.path))
        patch_vary_headers(response, ["Accept", "Authorization", "Origin"])
        return response

    return wrapped


def _canonical_path(request: HttpRequest) -> str | None:
    """The one path of the answer: /articles/812/ for /articles/0812/ or /812.0/ too.
    Only that one is cached, as only it is purged."""
    match = request.resolver_match
    if match is None or match.view_name is None:
        return None
    kwargs = dict(match.kwargs)
    for name, value in kwargs.items():
        if name.endswith("_id"):
            # pydantic reads 0812, 8_12 and 812.0 as 812: only digits name an id here,
            # and the int, reversed, is its one spelling.
            if not str(value).isdigit():
                return None
            kwargs[name] = int(value)
    try:
        return reverse(match.view_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


shared = decorate_view(_shared)
# The operations whose plain answers the page cache keeps (marked for the URL-coverage
# test by `urls`).
SHARED = {"article_list", "article_detail", "channel_list", "topic_list", "people_list"}

api = CitydeskAPI(
    title="citydesk API",
    version="1",
    description="Articles as IPTC ninjs, the site's channels, topics and people, search and"
    " rankings. See docs/api.md.",
    urls_namespace="api",
    auth=Caller(),
    throttle=[TokenThrottle()],
    docs_url="/docs/",
    openapi_url="/openapi.json",
    renderer=Renderer(),
)


def urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, those of SHARED marked as page_cache marks a view."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) in SHARED:
            pattern.callback.citydesk_page_cache = True  # type: ignore[union-attr]
    return patterns, app_name, namespace


NinjsVersion = Literal["3.1", "2.2"]


def _iso_time(value: Any) -> Any:
    # pydantic would read a bare number as a Unix time: a partner who sends one has
    # made a mistake, and a time they did not mean is worse than an error.
    if not isinstance(value, datetime) and not re.match(r"^\d{4}-\d{2}-\d{2}", str(value)):
        raise ValueError("an ISO 8601 time, such as 2026-12-01T08:00:00+08:00")
    return value


def _within_offsets(value: datetime) -> datetime:
    # Real UTC offsets lie within ±14 h; PostgreSQL refuses those beyond ±15:59.
    offset = value.utcoffset()
    if offset is not None and abs(offset.total_seconds()) > 14 * 3600:
        raise ValueError("a UTC offset between -14:00 and +14:00")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_time), AfterValidator(_within_offsets)]


def _refuse_nul(value: Any) -> Any:
    if drafts.has_nul(value):
        raise ValueError("NUL characters are not allowed")
    return value


# Text the database can hold: PostgreSQL refuses NUL characters (with a 500, unchecked).
Text = Annotated[str, AfterValidator(_refuse_nul)]


class Error(Schema):
    detail: Any


class ArticleList(Schema):
    items: list[dict[str, Any]] = Field(description="ninjs documents, representationType partial")
    next: str | None = Field(description="the cursor of the next page; null on the last")


class ChannelOut(Schema):
    slug: str
    name: str
    parent: str | None
    kind: str
    description: str
    url: str


class TopicOut(Schema):
    slug: str
    title: str
    intro: str
    url: str


class PersonOut(Schema):
    slug: str
    name: str
    organization: str
    title: str
    url: str


class Ranked(Schema):
    views: int
    article: dict[str, Any]


class SearchOut(Schema):
    total: int
    page: int
    items: list[dict[str, Any]]


class VersionQuery(Schema):
    ninjs: NinjsVersion = Field("3.1", description="the ninjs version; or an Accept profile")


class SearchQuery(VersionQuery):
    q: Text = Field(..., max_length=200)
    page: int = Field(1, ge=1, le=100)


class HotQuery(VersionQuery):
    window: Literal["day", "week", "month"] = "day"
    limit: int = Field(10, ge=1, le=50)


class ArticleQuery(Schema):
    channel: Text = Field("", max_length=50, description="a channel's slug (with its sub-channels)")
    topic: Text = Field("", max_length=80, description="a topic's slug")
    tag: Text = Field("", max_length=80, description="a tag's slug")
    person: Text = Field("", max_length=80, description="a person's slug (byline or 责编)")
    since: IsoTime | None = Field(None, description="published at or after")
    until: IsoTime | None = Field(None, description="published before")
    updated_since: IsoTime | None = Field(
        None, description="changed at or after; the list is then oldest change first"
    )
    status: Literal["live", "draft", "submitted", "returned", "approved", "scheduled"] = Field(
        "live", description="pieces not live yet: a newsroom token only"
    )
    cursor: Text = Field("", max_length=500)
    limit: int = Field(20, ge=1, le=api_queries.MAX_LIMIT)
    ninjs: NinjsVersion = "3.1"


def version_of(request: HttpRequest, asked: str) -> str:
    """The ninjs version: a profile in Accept names it, else the query parameter. (Any
    Accept naming a profile or ninjs is never a plain request: http.api_request_is_plain.)"""
    accept = request.headers.get("Accept", "").lower()
    for version in ninjs.VERSIONS:
        if f"ninjs-schema_{version}" in accept:
            return version
    return asked


def _described(response: HttpResponse, version: str, changed: datetime | None = None) -> None:
    if changed is not None:
        response.headers["Last-Modified"] = http_date(changed.timestamp())
    response.headers["Link"] = f'<{ninjs.SCHEMAS[version]}>; rel="profile"'


@api.exception_handler(cursors.BadCursor)
def bad_cursor(request: HttpRequest, exc: cursors.BadCursor) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": "the request body is too large"}, status=413)


@api.exception_handler(drafts.Invalid)
def invalid_draft(request: HttpRequest, exc: drafts.Invalid) -> HttpResponse:
    detail = [{"loc": ["body", *loc.split("/")], "msg": msg} for loc, msg in exc.errors]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(AuthenticationError)
def unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "the token is unknown, revoked or expired"}, status=401
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="citydesk"'
    return response


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.get(
    "/articles/",
    response={200: ArticleList, 400: Error, 403: Error},
    summary="Articles, newest first (or by change, to sync)",
)
@shared
def article_list(
    request: HttpRequest, response: HttpResponse, filters: Query[ArticleQuery]
) -> dict[str, Any]:
    caller = caller_of(request)
    if filters.status == "live" and filters.updated_since is not None:
        visible = api_queries.live_or_withdrawn()  # withdrawn ones as stubs
    elif filters.status == "live":
        visible = api_queries.live()
    elif caller.user is None:
        raise HttpError(403, "pieces not live yet need a newsroom token")
    else:
        visible = Article.objects.filter(readable(caller.user), status=filters.status)
    page = api_queries.article_list(
        visible,
        api_queries.ArticleFilters(
            channel=filters.channel,
            topic=filters.topic,
            tag=filters.tag,
            person=filters.person,
            since=filters.since,
            until=filters.until,
            updated_since=filters.updated_since,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
        by_change=filters.status != "live",
    )
    version = version_of(request, filters.ninjs)
    changed = max((item.article.updated_at for item in page.articles), default=None)
    _described(response, version, changed)
    withdrawn = (Article.Status.UNPUBLISHED, Article.Status.RETRACTED)
    return {
        "items": [
            ninjs.stub(item.article, version)
            if filters.status == "live" and item.article.status in withdrawn
            else ninjs.to_ninjs(item, version, full=False)
            for item in page.articles
        ],
        "next": page.next_cursor,
    }


@api.get(
    "/articles/{article_id}/",
    response={200: dict[str, Any], 404: Error},
    summary="One article as ninjs",
)
@shared
def article_detail(
    request: HttpRequest, response: HttpResponse, article_id: int, asked: Query[VersionQuery]
) -> dict[str, Any]:
    if not 0 < article_id < 10**18:
        raise HttpError(404, "no such article")
    item = api_queries.article(article_id)
    caller = caller_of(request)
    if item is None or not (
        item.article.is_live or (caller.user is not None and may_read(caller.user, item.article))
    ):
        raise HttpError(404, "no such article")
    version = version_of(request, asked.ninjs)
    _described(response, version, item.article.updated_at)
    return ninjs.to_ninjs(item, version)


@api.get("/channels/", response=list[ChannelOut], summary="Channels, in the nav's order")
@shared
def channel_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "slug": c.slug,
            "name": c.name,
            "parent": c.parent.slug if c.parent else None,
            "kind": c.kind,
            "description": c.description,
            "url": absolute_url(c.get_absolute_url()),
        }
        for c in api_queries.channels().select_related("parent")
    ]


@api.get("/topics/", response=list[TopicOut], summary="Published topics (专题)")
@shared
def topic_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "slug": t.slug,
            "title": t.title,
            "intro": t.intro,
            "url": absolute_url(t.get_absolute_url()),
        }
        for t in api_queries.topics()
    ]


@api.get("/people/", response=list[PersonOut], summary="People with live articles")
@shared
def people_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "slug": p.slug,
            "name": p.name,
            "organization": p.organization,
            "title": p.title,
            "url": absolute_url(p.get_absolute_url()),
        }
        for p in api_queries.people()
    ]


@api.get("/search/", response=SearchOut, summary="Search, ranked as on the site")
def search(request: HttpRequest, asked: Query[SearchQuery]) -> dict[str, Any]:
    found = search_queries.search(asked.q, page=asked.page, snippets=False)
    ids = [item.article.pk for item in found.items]
    articles = {i.article.pk: i for i in api_queries.with_links(Article.objects.filter(pk__in=ids))}
    version = version_of(request, asked.ninjs)
    return {
        "total": found.total,
        "page": found.number,
        "items": [
            ninjs.to_ninjs(articles[pk], version, full=False) for pk in ids if pk in articles
        ],
    }


@api.get("/hot/", response=list[Ranked], summary="Most read: 24 h, 7 days or 30 days")
def hot(request: HttpRequest, asked: Query[HotQuery]) -> list[dict[str, Any]]:
    ranked = rankings.hot(asked.window, limit=asked.limit)
    ids = [r.article.pk for r in ranked]
    articles = {i.article.pk: i for i in api_queries.with_links(Article.objects.filter(pk__in=ids))}
    version = version_of(request, asked.ninjs)
    return [
        {"views": r.views, "article": ninjs.to_ninjs(articles[r.article.pk], version, full=False)}
        for r in ranked
        if r.article.pk in articles
    ]


@api.get("/picks/", response=list[dict[str, Any]], summary="Today's picks (今日推荐)")
def picks(request: HttpRequest, asked: Query[VersionQuery]) -> list[dict[str, Any]]:
    ids = [a.pk for a in recommend.picks()]
    articles = {i.article.pk: i for i in api_queries.with_links(Article.objects.filter(pk__in=ids))}
    version = version_of(request, asked.ninjs)
    return [ninjs.to_ninjs(articles[pk], version, full=False) for pk in ids if pk in articles]


class CreditIn(Schema):
    model_config = {"extra": "forbid", "strict": True}
    role: Literal["writer", "photographer", "video_editor", "text_editor"]
    name: Text = Field(..., min_length=1, max_length=50)


class DraftIn(Schema):
    """A partner's article in citydesk's blocks form (docs/api.md)."""

    # Strict: a 0 is not a false, nor a number a string; unknown fields are refused.
    model_config = {"extra": "forbid", "strict": True}
    guid: Text = Field(
        ...,
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9._:/-]+$",
        description="the partner's own id: a second POST with it changes nothing",
    )
    title: Text = Field(..., min_length=1, max_length=200)
    subtitle: Text = Field("", max_length=200)
    summary: Text = Field("", max_length=2000)
    body: Annotated[list[dict[str, Any]], AfterValidator(_refuse_nul)] = Field(
        ..., max_length=drafts.MAX_BLOCKS
    )
    source: Text = Field("", max_length=100, description="来源 (the token's own, if set, wins)")
    source_url: Text = Field("", max_length=500)
    channels: list[Text] = Field([], max_length=10, description="channel slugs")
    tags: list[Text] = Field([], max_length=20)
    credits: list[CreditIn] = Field([], max_length=20)
    submit: bool = Field(False, description="submit for review (a newsroom token only)")


class DraftOut(Schema):
    id: int
    status: str
    created: bool
    uri: str
    notice: str


def _partner(request: HttpRequest) -> ApiToken:
    caller = caller_of(request)
    if caller.token is None:
        raise AuthenticationError()
    if not caller.allows(Scope.DRAFTS):
        raise HttpError(403, "this token has no drafts scope")
    return caller.token


def _answer(response: HttpResponse, received: drafts.Received) -> Status:
    article = received.article
    response.headers["Location"] = f"/api/v1/articles/{article.pk}/"
    answer = {
        "id": article.pk,
        "status": article.status,
        "created": received.created,
        "uri": absolute_url(article.get_absolute_url()),
        "notice": received.notice,
    }
    return Status(201 if received.created else 200, answer)


@api.post(
    "/drafts/",
    response={200: DraftOut, 201: DraftOut, 401: Error, 403: Error, 413: Error, 422: Error},
    summary="A partner's draft, in the blocks form",
)
def post_draft(request: HttpRequest, response: HttpResponse, draft: DraftIn) -> Status:
    token = _partner(request)
    received = drafts.receive(
        token,
        drafts.Draft(
            guid=draft.guid,
            title=draft.title,
            subtitle=draft.subtitle,
            summary=draft.summary,
            body=draft.body,
            source=draft.source,
            source_url=draft.source_url,
            channels=tuple(draft.channels),
            tags=tuple(t.strip() for t in draft.tags if t.strip()),
            credits=tuple((c.role, c.name) for c in draft.credits),
            submit=draft.submit,
        ),
    )
    return _answer(response, received)


@api.post(
    "/drafts/ninjs/",
    response={200: DraftOut, 201: DraftOut, 401: Error, 403: Error, 413: Error, 422: Error},
    summary="A partner's draft as a ninjs 3.1 or 2.2 document",
    description="The body is a ninjs document, valid against IPTC's schema of its version:"
    " http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json or ninjs-schema_2.2.json;"
    " its `uri` is the partner's id for the article (the guid).",
)
def post_ninjs_draft(
    request: HttpRequest,
    response: HttpResponse,
    document: dict[str, Any] = Body(...),  # noqa: B008 (django-ninja's way to name a body)
    submit: bool = False,
) -> Status:
    token = _partner(request)
    if drafts.has_nul(document):
        raise drafts.Invalid([("(document)", "NUL characters are not allowed")])
    found = ninjs.problems(document)
    if found:
        raise drafts.Invalid(found)
    draft = drafts.from_ninjs(document)  # checked by drafts.receive as the blocks form is
    draft.submit = submit
    return _answer(response, drafts.receive(token, draft))
