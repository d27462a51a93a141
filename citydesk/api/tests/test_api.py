"""The read API: who sees what, lists by cursor, tokens, limits, caching headers."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from citydesk.api.models import ApiToken, Scope
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.newsroom.roles import Role
from citydesk.newsroom.tests.conftest import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1"


def publish(title: str, *, hours_ago: float = 1, **fields) -> Article:
    return actions.create_article(
        ArticleData(
            title=title,
            body=[{"type": "paragraph", "text": f"{title}的正文。"}],
            published_at=timezone.now() - timedelta(hours=hours_ago),
            **fields,
        ),
        status=Article.Status.PUBLISHED,
    )


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def titles(response) -> list[str]:
    return [item["headlines"][0]["value"] for item in response.json()["items"]]


def test_anonymous_callers_see_live_articles_newest_first(client):
    publish("旧闻", hours_ago=3)
    publish("新闻", hours_ago=1)
    actions.create_article(ArticleData(title="草稿", body=[]))
    publish("明天的", hours_ago=-24)  # scheduled by its time: not live yet
    response = client.get(f"{API}/articles/")
    assert response.status_code == 200
    assert titles(response) == ["新闻", "旧闻"]
    item = response.json()["items"][0]
    assert item["representationType"] == "partial" and "bodies" not in item


def test_a_cursor_neither_repeats_nor_skips_while_articles_are_added(client):
    for n in range(5):
        publish(f"第{n}条", hours_ago=10 - n)
    first = client.get(f"{API}/articles/", {"limit": 2}).json()
    assert [i["headlines"][0]["value"] for i in first["items"]] == ["第4条", "第3条"]
    publish("插进来的新闻", hours_ago=0.1)
    seen = [i["headlines"][0]["value"] for i in first["items"]]
    cursor = first["next"]
    while cursor:
        page = client.get(f"{API}/articles/", {"limit": 2, "cursor": cursor}).json()
        seen += [i["headlines"][0]["value"] for i in page["items"]]
        cursor = page["next"]
    assert seen == ["第4条", "第3条", "第2条", "第1条", "第0条"]


def test_sync_by_change_reads_oldest_change_first_and_sees_edits(client):
    a = publish("甲")
    publish("乙")
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    page = client.get(f"{API}/articles/", {"updated_since": since, "limit": 1}).json()
    assert [i["altIds"][0]["value"] for i in page["items"]] == [str(a.pk)]
    actions.edit_article(a, {"title": "甲（更新）"})
    rest = client.get(f"{API}/articles/", {"updated_since": since, "cursor": page["next"]})
    assert titles(rest) == ["乙", "甲（更新）"]


def test_lists_filter_by_channel_tag_person_and_time(client):
    from citydesk.content.models import Channel

    Channel.objects.create(name="经济", slug="jingji")
    publish("经济新闻", channels=["jingji"], tags=["营商环境"], credits=[("writer", "钱茹冰")])
    publish("别的新闻", hours_ago=30)
    assert titles(client.get(f"{API}/articles/", {"channel": "jingji"})) == ["经济新闻"]
    assert titles(client.get(f"{API}/articles/", {"tag": "营商环境"})) == ["经济新闻"]
    person = Article.objects.get(title="经济新闻").credits.get().person
    assert titles(client.get(f"{API}/articles/", {"person": person.slug})) == ["经济新闻"]
    until = (timezone.now() - timedelta(hours=24)).isoformat()
    assert titles(client.get(f"{API}/articles/", {"until": until})) == ["别的新闻"]
    assert titles(client.get(f"{API}/articles/", {"since": until})) == ["经济新闻"]


@pytest.mark.parametrize(
    "params, status",
    [
        ({"cursor": "not-a-cursor"}, 400),
        ({"cursor": "eyJmb28iOiAxfQ"}, 400),
        ({"limit": 1000}, 422),
        ({"limit": "many"}, 422),
        ({"since": "yesterday"}, 422),
        ({"ninjs": "9.9"}, 422),
        ({"status": "draft"}, 403),
    ],
)
def test_bad_list_parameters_get_a_clear_4xx(client, params, status):
    publish("新闻")
    response = client.get(f"{API}/articles/", params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_a_cursor_of_the_sync_list_is_refused_by_the_newest_list(client):
    publish("甲"), publish("乙")
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    cursor = client.get(f"{API}/articles/", {"updated_since": since, "limit": 1}).json()["next"]
    assert client.get(f"{API}/articles/", {"cursor": cursor}).status_code == 400


def test_an_article_as_ninjs_31_or_22_by_parameter_or_accept_profile(client):
    article = publish("全文")
    url = f"{API}/articles/{article.pk}/"
    doc = client.get(url).json()
    assert doc["standard"]["version"] == "3.1" and doc["pubStatus"] == "usable"
    assert any(b["role"] == "html" for b in doc["bodies"])
    assert client.get(url, {"ninjs": "2.2"}).json()["pubstatus"] == "usable"
    profile = 'application/json; profile="http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#"'
    response = client.get(url, HTTP_ACCEPT=profile)
    assert "pubstatus" in response.json() and "Accept" in response["Vary"]
    assert client.get(f"{API}/articles/99999999/").status_code == 404
    assert client.get(f"{API}/articles/0/").status_code == 404


def test_pieces_not_live_need_a_newsroom_token_and_follow_the_embargo(client):
    reporter, other = make_user("小记", Role.REPORTER), make_user("另一记者", Role.REPORTER)
    editor = make_user("王编", Role.EDITOR)
    draft = actions.create_article(ArticleData(title="未发稿", body=[]), created_by=reporter)
    url = f"{API}/articles/{draft.pk}/"
    _, partner = ApiToken.issue("合作方", [Scope.READ])
    _, own = ApiToken.issue("小记的", [Scope.READ], user=reporter)
    _, others = ApiToken.issue("另一记者的", [Scope.READ], user=other)
    _, editors = ApiToken.issue("王编的", [Scope.READ], user=editor)
    assert client.get(url).status_code == 404
    assert client.get(url, **bearer(partner)).status_code == 404
    assert client.get(url, **bearer(others)).status_code == 404
    doc = client.get(url, **bearer(own)).json()
    assert doc["pubStatus"] == "withheld"
    assert client.get(url, **bearer(editors)).status_code == 200
    drafts = client.get(f"{API}/articles/", {"status": "draft"}, **bearer(others))
    assert drafts.status_code == 200 and drafts.json()["items"] == []
    drafts = client.get(f"{API}/articles/", {"status": "draft"}, **bearer(editors))
    assert titles(drafts) == ["未发稿"]
    assert client.get(f"{API}/articles/", {"status": "draft"}, **bearer(partner)).status_code == 403


def test_unknown_revoked_and_expired_tokens_get_401(client):
    publish("新闻")
    token, key = ApiToken.issue("过期的", [Scope.READ])
    assert client.get(f"{API}/articles/", **bearer(key)).status_code == 200
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    revoked, revoked_key = ApiToken.issue("吊销的", [Scope.READ])
    revoked.revoked_at = timezone.now()
    revoked.save()
    for header in (bearer(key), bearer(revoked_key), bearer("cdk_forged"), bearer("x" * 5000)):
        response = client.get(f"{API}/articles/", **header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_stored_hashed():
    token, key = ApiToken.issue("合作方", [Scope.READ])
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix) and key.startswith(stored.prefix)
    assert ApiToken.find(key) == stored


def test_a_token_over_its_rate_gets_429_with_retry_after(client):
    _, key = ApiToken.issue("慢的", [Scope.READ], per_minute=2)
    for _ in range(2):
        assert client.get(f"{API}/channels/", **bearer(key)).status_code == 200
    response = client.get(f"{API}/channels/", **bearer(key))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another caller is not held up by that one.
    assert client.get(f"{API}/channels/").status_code == 200


def test_responses_carry_an_etag_and_answer_304(client, settings):
    # With the page cache on, each of Django's renders rewrites the file and takes the
    # file's ETag, its mtime in seconds: two requests a second apart would not match.
    # The fronts serve one file, one ETag; Django's own answer is tested here.
    settings.CITYDESK_PAGE_CACHE = False
    article = publish("新闻")
    response = client.get(f"{API}/articles/{article.pk}/")
    assert response["ETag"] and response["Last-Modified"]
    again = client.get(f"{API}/articles/{article.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    actions.edit_article(article, {"title": "改过的新闻"})
    changed = client.get(f"{API}/articles/{article.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200


def test_head_answers_as_get_without_the_body(client, settings):
    settings.CITYDESK_PAGE_CACHE = False
    article = publish("新闻")
    for path in (f"{API}/articles/{article.pk}/", f"{API}/channels/", f"{API}/articles/?limit=2"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head["Content-Length"] == str(len(got.content)) and head["ETag"] == got["ETag"]
    assert client.head(f"{API}/articles/{article.pk + 1000}/").status_code == 404
    # A HEAD that already has the answer gets a 304, as a GET would, with no length.
    got = client.get(f"{API}/channels/")
    again = client.head(f"{API}/channels/", HTTP_IF_NONE_MATCH=got["ETag"])
    assert again.status_code == 304 and "Content-Length" not in again


def test_cors_is_open_to_configured_origins_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.get(f"{API}/channels/", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = client.get(f"{API}/channels/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    page = client.get("/", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in page


def test_channels_topics_people_search_hot_and_picks(client, django_capture_on_commit_callbacks):
    from citydesk.content.models import Channel

    Channel.objects.create(name="经济", slug="jingji")
    with django_capture_on_commit_callbacks(execute=True):  # indexed for search
        publish("营商环境持续优化", channels=["jingji"], credits=[("writer", "钱茹冰")])
    channels = {c["slug"]: c for c in client.get(f"{API}/channels/").json()}
    assert channels["jingji"]["url"].endswith("/jingji/") and channels["jingji"]["name"] == "经济"
    assert [p["name"] for p in client.get(f"{API}/people/").json()] == ["钱茹冰"]
    assert client.get(f"{API}/topics/").json() == []
    found = client.get(f"{API}/search/", {"q": "营商环"}).json()
    assert found["total"] == 1 and found["items"][0]["headlines"][0]["value"] == "营商环境持续优化"
    assert client.get(f"{API}/search/", {"q": ""}).status_code in (200, 422)
    assert client.get(f"{API}/hot/", {"window": "week"}).status_code == 200
    assert client.get(f"{API}/hot/", {"window": "year"}).status_code == 422
    assert client.get(f"{API}/picks/").status_code == 200


def test_the_openapi_schema_and_its_docs_page_are_served(client):
    def unique(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), keys  # Swagger UI refuses repeated keys
        return dict(pairs)

    schema = json.loads(client.get(f"{API}/openapi.json").content, object_pairs_hook=unique)
    assert {"/api/v1/articles/", "/api/v1/articles/{article_id}/"} <= set(schema["paths"])
    docs = client.get(f"{API}/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_only_plain_requests_leave_their_answer_in_the_page_cache(client, settings, tmp_path):
    from citydesk.publishing.cache import PageCache

    settings.PAGE_CACHE_DIR = tmp_path / "pages"
    article = publish("新闻")
    url = f"{API}/articles/{article.pk}/"
    _, key = ApiToken.issue("合作方", [Scope.READ])
    cache_file = PageCache().path_for(url)
    assert cache_file is not None
    for extra in (
        {"HTTP_AUTHORIZATION": f"Bearer {key}"},
        {"HTTP_ORIGIN": "https://app.example.com"},
        {"HTTP_ACCEPT": 'application/json; profile="ninjs-schema_2.2.json"'},
    ):
        assert client.get(url, **extra).status_code == 200
        assert not cache_file.exists(), extra
    assert client.get(url, {"ninjs": "2.2"}).status_code == 200
    assert not cache_file.exists()
    # An Accept naming ninjs in any case is the caller's own, never the shared answer.
    shouted = client.get(url, HTTP_ACCEPT='application/json; Profile="NINJS-SCHEMA_2.2.JSON"')
    assert "pubstatus" in shouted.json() and not cache_file.exists()
    # Other spellings of the id answer, and are never cached: only the one path is purged.
    for other in (f"{API}/articles/0{article.pk}/", f"{API}/articles/{article.pk}.0/"):
        assert client.get(other).status_code == 200
        spelled = PageCache().path_for(other)
        assert spelled is not None and not spelled.exists(), other
    response = client.get(url)
    assert response["X-Cache"] == "MISS" and cache_file.read_bytes() == response.content
    assert "Authorization" in response["Vary"]


@pytest.mark.parametrize(
    "params",
    [
        {"tag": "a\x00b"},
        {"cursor": "\x00"},
        {"updated_since": "2424-04-21T18:37:07-16:03"},  # beyond any real UTC offset
        {"since": "2026-01-01T00:00:00+14:30"},
    ],
)
def test_input_the_database_cannot_hold_gets_422_not_500(client, params):
    response = client.get(f"{API}/articles/", params)
    assert response.status_code == 422, response.content


def test_a_token_without_the_read_scope_reads_nothing(client):
    publish("新闻")
    _, drafts_only = ApiToken.issue("只投稿", [Scope.DRAFTS])
    response = client.get(f"{API}/articles/", **bearer(drafts_only))
    assert response.status_code == 403 and "read" in response.json()["detail"]


def test_a_newsroom_token_pages_through_drafts_without_a_publish_time(client):
    editor = make_user("王编", Role.EDITOR)
    _, key = ApiToken.issue("王编的", [Scope.READ], user=editor)
    for n in range(3):
        actions.create_article(ArticleData(title=f"草稿{n}", body=[]))
    seen, cursor = [], ""
    while True:
        params = {"status": "draft", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/articles/", params, **bearer(key)).json()
        seen += [i["headlines"][0]["value"] for i in page["items"]]
        if not page["next"]:
            break
        cursor = page["next"]
    assert seen == ["草稿0", "草稿1", "草稿2"]


def test_a_sync_hears_of_articles_taken_down_or_retracted_as_stubs(client):
    from citydesk.api.tests.test_ninjs import errors

    kept, down, gone = publish("留着"), publish("撤下的"), publish("撤稿的")
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    actions.do_unpublish_article(down)
    actions.do_retract_article(gone)
    items = client.get(f"{API}/articles/", {"updated_since": since}).json()["items"]
    by_id = {i["altIds"][0]["value"]: i for i in items}
    assert by_id[str(kept.pk)]["pubStatus"] == "usable"
    assert by_id[str(down.pk)]["pubStatus"] == "withheld"
    assert by_id[str(gone.pk)]["pubStatus"] == "canceled"
    # A stub names the article and its state, nothing of its content.
    assert "headlines" not in by_id[str(gone.pk)] and errors(by_id[str(gone.pk)], "3.1") == []
    # The newest-first list shows live articles only.
    assert titles(client.get(f"{API}/articles/")) == ["留着"]
