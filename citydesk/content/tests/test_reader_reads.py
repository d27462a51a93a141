"""The article page's hand-written reads give what the ORM gives, and a template tag
renders the body's blocks."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.template import Context, Template
from django.utils import timezone

from citydesk.content import actions, queries
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, ArticleCredit, Channel, Person, Tag

pytestmark = pytest.mark.django_db


def make(**kw):
    status = kw.pop("status", Article.Status.PUBLISHED)
    data = ArticleData(
        title=kw.pop("title", "读取测试"),
        body=kw.pop(
            "body",
            [
                {"type": "heading", "text": "小标题"},
                {"type": "paragraph", "text": "第一段<strong>加粗</strong>。"},
                {"type": "image", "src": "/media/a.jpg", "caption": "图注<说明>", "credit": "摄"},
            ],
        ),
        published_at=kw.pop("published_at", timezone.now() - timedelta(minutes=5)),
        **kw,
    )
    return actions.create_article(data, status=status)


def test_article_for_reader_equals_the_orms_read(django_assert_num_queries):
    article = make(
        credits=[("writer", "王晓"), ("photographer", "李明"), ("writer", "陈一")],
        responsible_editor="周编",
        tags=["营商环境", "数字经济"],
        channels=["suzhou", "guonei"],
    )
    with django_assert_num_queries(4):
        item = queries.article_for_reader(article.pk)
        # Everything the page shows from relations was read already.
        credits = list(item.credits.all())
        tags = list(item.tags.all())
        channels = list(item.channels.all())
        editor = item.responsible_editor

    orm = Article.objects.get(pk=article.pk)
    for field in Article._meta.concrete_fields:
        got, want = getattr(item, field.attname), getattr(orm, field.attname)
        assert got == want, field.name
        assert type(got) is type(want), field.name  # datetimes, JSON, booleans converted
    assert editor is not None and editor == orm.responsible_editor and editor.name == "周编"
    assert [(c.pk, c.role, c.person.name) for c in credits] == [
        (c.pk, c.role, c.person.name) for c in orm.credits.select_related("person")
    ]
    assert tags == list(orm.tags.all()) and [t.name for t in tags] == sorted(
        ["营商环境", "数字经济"]
    )
    assert channels == list(orm.channels.all())
    assert isinstance(credits[0], ArticleCredit) and isinstance(credits[0].person, Person)
    assert isinstance(tags[0], Tag) and isinstance(channels[0], Channel)
    assert item.body == orm.body and isinstance(item.body, list)


def test_article_for_reader_without_editor_or_links():
    article = make()
    item = queries.article_for_reader(article.pk)
    assert item.responsible_editor is None
    assert list(item.credits.all()) == [] and list(item.tags.all()) == []


@pytest.mark.parametrize(
    "kw",
    [
        {"status": Article.Status.DRAFT},
        {"published_at": timezone.now() + timedelta(days=1)},
    ],
)
def test_article_for_reader_refuses_what_is_not_live(kw):
    article = make(**kw)
    with pytest.raises(Http404):
        queries.article_for_reader(article.pk)
    with pytest.raises(Http404):
        queries.article_for_reader(article.pk + 1000)


def test_nav_channels_are_channel_instances_read_afresh():
    first = queries.nav_channels()
    assert all(isinstance(c, Channel) and isinstance(c.in_nav, bool) for c in first)
    Channel.objects.filter(pk=first[1].pk).update(name="改名")
    assert queries.nav_channels()[1].name == "改名"


def test_article_blocks_renders_paragraphs_headings_and_figures():
    item = queries.article_for_reader(make().pk)
    html = Template("{% load portal %}{% article_blocks blocks %}").render(
        Context({"blocks": item.body, "article": item})
    )
    assert "<h2>小标题</h2>" in html
    assert "<p>第一段<strong>加粗</strong>。</p>" in html  # sanitised inline markup kept
    assert '<img src="/media/a.jpg"' in html
    assert "图注&lt;说明&gt;" in html  # a figure's caption is escaped
    assert html.index("<h2>") < html.index("<p>") < html.index("<figure")
