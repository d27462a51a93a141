"""Every demo article and the reference article validate against ninjs 2.2 and 3.1."""

import io
import json
from functools import cache
from typing import Any

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator, FormatChecker

from citydesk.api import ninjs
from citydesk.api import queries as api_queries
from citydesk.content.models import Article
from citydesk.core.testing import shared_data

pytestmark = pytest.mark.django_db


@cache
def validator(version: str) -> Draft202012Validator:
    path = shared_data("..", "standards", "ninjs", f"ninjs-schema_{version}.json")
    schema = json.loads(path.read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(doc: dict[str, Any], version: str) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator(version).iter_errors(doc)]


@pytest.fixture
def demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=io.StringIO())


def test_every_demo_article_validates_in_both_versions(demo):
    items = api_queries.with_links(Article.objects.all())
    assert len(items) > 20
    kinds: set[str] = set()
    for item in items:
        for version in ninjs.VERSIONS:
            for full in (True, False):
                doc = ninjs.to_ninjs(item, version, full=full)
                assert errors(doc, version) == [], (item.article.pk, version, full)
                kinds.update(a["type"] for a in doc.get("associations", []))
    # The demo has pictures and videos: their renditions were validated too.
    assert {"picture", "video"} <= kinds


def test_the_reference_article_validates_and_says_what_the_page_says(db):
    path = shared_data("seed", "000_03e6a39d6aae467d.txt")
    call_command("import", "text", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    item = api_queries.article(Article.objects.get().pk)
    assert item is not None
    article = item.article
    doc31 = ninjs.to_ninjs(item, "3.1")
    doc22 = ninjs.to_ninjs(item, "2.2")
    assert errors(doc31, "3.1") == [] and errors(doc22, "2.2") == []
    assert doc31["headlines"][0] == {"role": "main", "value": article.title}
    html = next(b for b in doc31["bodies"] if b["role"] == "html")
    assert "营商环境" in html["value"] and html["charCount"] > 500
    blocks = next(b for b in doc31["bodies"] if b["role"] == "blocks")
    assert json.loads(blocks["value"]) == article.body
    # 2.2 spells the same document in lower case.
    assert doc22["pubstatus"] == doc31["pubStatus"] == "usable"
    assert doc22["versioncreated"] == doc31["versionCreated"]
    assert doc22["standard"]["version"] == "2.2"


def test_what_ninjs_lacks_goes_in_its_own_lists(db):
    from django.utils import timezone

    from citydesk.content import actions
    from citydesk.content.models import Channel

    Channel.objects.create(name="要闻", slug="yaowen")
    article = actions.create_article(
        actions.ArticleData(
            title="标题",
            subtitle="副题",
            summary="摘要",
            source="苏州日报",
            source_url="https://example.com/a",
            organization="苏州日报社",
            responsible_editor="周编辑",
            body=[{"type": "paragraph", "text": "正文"}],
            channels=["yaowen"],
            tags=["长三角"],
            credits=[("writer", "钱茹冰")],
            is_headline=True,
            published_at=timezone.now(),
        ),
        status=Article.Status.PUBLISHED,
    )
    stored = api_queries.article(article.pk)
    assert stored is not None
    doc = ninjs.to_ninjs(stored, "3.1")
    assert errors(doc, "3.1") == []
    assert {"role": "sub", "value": "副题"} in doc["headlines"]
    assert doc["descriptions"] == [{"role": "summary", "value": "摘要"}]
    assert [(p["name"], p["rel"]) for p in doc["people"]] == [
        ("钱茹冰", "writer"),
        ("周编辑", "responsibleEditor"),
    ]
    assert {"name": "苏州日报", "role": "source", "uri": "https://example.com/a"} in doc[
        "infoSources"
    ]
    assert {(s["rel"], s["name"]) for s in doc["subjects"]} == {
        ("channel", "要闻"),
        ("tag", "长三角"),
    }
    assert doc["genres"] == [{"name": "headline", "literal": "headline"}]
    assert doc["by"] == "苏州日报社 钱茹冰"


def test_a_list_names_each_articles_own_links_in_order(db):
    """One read of links for many articles (api.queries.with_links): each entry gets its
    own byline in byline order, its channels, tags and published topics only."""
    from django.utils import timezone

    from citydesk.content import actions
    from citydesk.content.models import Channel

    Channel.objects.create(name="要闻", slug="yaowen", position=1)
    Channel.objects.create(name="民生", slug="minsheng", position=2)

    def make(title: str, **fields: Any) -> Article:
        return actions.create_article(
            actions.ArticleData(title=title, body=[], published_at=timezone.now(), **fields),
            status=Article.Status.PUBLISHED,
        )

    one = make(
        "一",
        channels=["minsheng", "yaowen"],
        tags=["长三角", "地铁"],
        credits=[("writer", "钱茹冰"), ("photographer", "王摄"), ("writer", "李文")],
    )
    two = make("二", channels=["yaowen"], tags=["地铁"], responsible_editor="周编辑")
    actions.create_topic("公开专题", [one, two])
    actions.create_topic("未发布专题", [two], is_published=False)

    docs = {
        item.article.pk: ninjs.to_ninjs(item, "3.1", full=False)
        for item in api_queries.with_links(Article.objects.filter(pk__in=[one.pk, two.pk]))
    }

    def subjects(pk: int) -> list[tuple[str, str]]:
        return [(s["rel"], s["name"]) for s in docs[pk]["subjects"]]

    assert subjects(one.pk) == [
        ("channel", "要闻"),
        ("channel", "民生"),
        ("topic", "公开专题"),
        ("tag", "地铁"),
        ("tag", "长三角"),
    ]
    assert subjects(two.pk) == [("channel", "要闻"), ("topic", "公开专题"), ("tag", "地铁")]
    assert [(p["name"], p["rel"]) for p in docs[one.pk]["people"]] == [
        ("钱茹冰", "writer"),
        ("王摄", "photographer"),
        ("李文", "writer"),
    ]
    assert [(p["name"], p["rel"]) for p in docs[two.pk]["people"]] == [
        ("周编辑", "responsibleEditor")
    ]
    assert docs[one.pk]["by"] == "钱茹冰 李文"
    yaowen = docs[two.pk]["subjects"][0]
    assert yaowen["uri"].endswith("/yaowen/") and yaowen["literal"] == "yaowen"
    for doc in docs.values():
        assert errors(doc, "3.1") == []
