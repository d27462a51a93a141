"""今日推荐 and 相关阅读 as fragments: whole small pages that live 30 s, never in the page
cache, so that a new pick never makes a cached page stale."""

import re
from datetime import datetime

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.portal.tests.sitedata import Site, build_site, para
from citydesk.publishing import http
from citydesk.publishing.cache import PageCache
from citydesk.rankings.queries import FRESH_SECONDS
from citydesk.recommend import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def site() -> Site:
    return build_site()


def recommended(n: int, published_at: datetime | None = None) -> list[Article]:
    return [
        actions.create_article(
            ArticleData(
                title=f"推荐稿件第{k}篇",
                body=[para("推荐。")],
                is_recommended=True,
                published_at=published_at,
            ),
            status=Article.Status.PUBLISHED,
        )
        for k in range(n)
    ]


def items(html: str) -> list[str]:
    return re.findall(r"<li\b[^>]*>", html)


@pytest.mark.parametrize("fragment", ["picks", "related"])
def test_a_fragment_lives_60_seconds_and_is_never_written_to_the_page_cache(client, site, fragment):
    url = {"picks": "/fragments/picks/", "related": f"/fragments/related/{site.feature.pk}/"}
    response = client.get(url[fragment])
    assert response.status_code == 200
    # 30 s in a browser or CDN, on top of at most 30 s that a ranking is remembered.
    assert response["Cache-Control"] == "public, max-age=30"
    assert http.FRAGMENT_MAX_AGE + FRESH_SECONDS <= 60
    assert PageCache().read(url[fragment]) is None
    assert not PageCache().root.exists() or not any(PageCache().root.rglob("index.html"))
    assert client.post(url[fragment]).status_code == 405


def test_picks_is_a_readable_page_without_javascript(client, site):
    html = client.get("/fragments/picks/").content.decode()
    assert html.startswith("<!doctype html>") and "portal/portal.css" in html
    assert '<a href="/">返回名城苏州首页</a>' in html
    assert 'name="robots" content="noindex, follow"' in html
    assert '<section class="box box-picks" data-fragment-box="picks">' in html


def test_picks_lists_recommended_articles_with_one_spare(client):
    picks = recommended(views.PICKS + 2)  # newest first: the last created leads
    html = client.get("/fragments/picks/").content.decode()
    shown = items(html)
    assert len(shown) == views.PICKS + 1
    assert [re.findall(r'data-article-id="(\d+)"', li)[0] for li in shown] == [
        str(a.pk) for a in reversed(picks[-(views.PICKS + 1) :])
    ]
    assert "data-spare hidden" in shown[-1]
    assert all("hidden" not in li for li in shown[:-1])


def test_picks_with_few_recommendations_has_no_spare(client):
    recommended(3)
    html = client.get("/fragments/picks/").content.decode()
    assert len(items(html)) == 3 and "data-spare" not in html
