from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from citydesk.content import actions, queries
from citydesk.content.actions import ArticleData
from citydesk.content.blocks import blocks_to_text, text_to_blocks
from citydesk.content.models import Article, ArticleCredit, Channel, Tag
from citydesk.content.sanitize import BodyError, clean_blocks
from citydesk.recommend import queries as recommend

pytestmark = pytest.mark.django_db

NAV = ["滚动", "苏州", "专题", "国内", "评论", "视频", "学习", "文旅", "城事"]


def make(title="测试稿件", **kw):
    status = kw.pop("status", Article.Status.PUBLISHED)
    body = kw.pop("body", [{"type": "paragraph", "text": "正文第一段。"}])
    return actions.create_article(ArticleData(title=title, body=body, **kw), status=status)


def test_nine_nav_channels_are_seeded_in_reference_order():
    assert [c.name for c in queries.nav_channels()] == NAV
    assert Channel.objects.get(name="滚动").kind == Channel.Kind.ROLLING
    assert Channel.objects.get(name="视频").kind == Channel.Kind.VIDEO


def test_channels_form_a_tree_and_a_parent_lists_its_childrens_articles():
    suzhou = Channel.objects.get(slug="suzhou")
    child = Channel.objects.create(name="姑苏", slug="gusu", parent=suzhou, position=1)
    article = make(channels=["gusu"])
    assert list(suzhou.children.all()) == [child]
    assert article in queries.channel_articles(suzhou)


def test_rolling_is_every_live_article_newest_first():
    now = timezone.now()
    old = make("旧稿", published_at=now - timedelta(days=2), channels=["guonei"])
    new = make("新稿", published_at=now - timedelta(hours=1), channels=["suzhou"])
    make("草稿", status=Article.Status.DRAFT)
    make("未来稿", published_at=now + timedelta(days=1))
    rolling = queries.channel_articles(Channel.objects.get(slug="gundong"))
    assert list(rolling) == [new, old]


def test_publish_time_is_stored_utc_and_shown_in_shanghai():
    article = make(published_at=datetime(2020, 12, 29, 8, 41, 8, tzinfo=UTC))
    article.refresh_from_db()
    local = timezone.localtime(article.published_at)
    assert (local.hour, local.minute, str(local.tzinfo)) == (16, 41, "Asia/Shanghai")


def test_byline_people_editor_tags_and_flags():
    article = make(
        organization="苏报融媒",
        credits=[("writer", "朱琦"), ("writer", "钱茹冰"), ("photographer", "王亭川")],
        responsible_editor="吴昊",
        tags=["营商环境", "沪苏同城化"],
        is_headline=True,
        is_recommended=True,
    )
    roles = [(c.person.name, c.role) for c in article.credits.select_related("person")]
    assert roles == [("朱琦", "writer"), ("钱茹冰", "writer"), ("王亭川", "photographer")]
    assert article.responsible_editor is not None
    assert article.responsible_editor.name == "吴昊"
    assert article.credits.all()[0].person.get_absolute_url() == "/people/" + quote("朱琦") + "/"
    assert sorted(article.tags.values_list("name", flat=True)) == ["沪苏同城化", "营商环境"]
    assert queries.headline() == article
    assert recommend.picks() == [article]


def test_same_name_is_one_person_with_one_page():
    a = make("一", credits=[("writer", "朱琦")])
    b = make("二", credits=[("writer", "朱琦"), ("writer", "朱琦")])
    person = a.credits.get().person
    assert b.credits.get().person == person
    assert set(queries.person_articles(person)) == {a, b}
    assert ArticleCredit.objects.count() == 2


def test_video_items_fill_the_video_channel():
    video = make("视频稿", kind=Article.Kind.VIDEO, channels=["suzhou"])
    assert set(video.channels.values_list("slug", flat=True)) == {"suzhou", "shipin"}
    assert list(queries.channel_articles(Channel.objects.get(slug="shipin"))) == [video]


def test_body_pages_split_at_page_breaks():
    body = [
        {"type": "paragraph", "text": "第一页"},
        {"type": "pagebreak"},
        {"type": "heading", "text": "第二页标题"},
        {"type": "pagebreak"},
        {"type": "pagebreak"},
        {"type": "paragraph", "text": "第三页"},
    ]
    article = make(body=body)
    pages = article.pages()
    assert article.page_count == 3
    assert [p[0]["text"] for p in pages] == ["第一页", "第二页标题", "第三页"]
    assert article.page_url(1) == f"/a/{article.pk}/"
    assert article.page_url(3) == f"/a/{article.pk}/3/"


def test_every_body_is_sanitised_on_save():
    article = make(
        body=[
            {
                "type": "paragraph",
                "text": '好<script>alert(1)</script><b>粗</b><a href="javascript:x">链</a>',
            },
            {"type": "paragraph", "text": '<img src=x onerror="alert(1)">图'},
            {
                "type": "image",
                "src": "javascript:alert(1)",
                "caption": "<i>说明</i>",
                "credit": "摄",
            },
            {"type": "video", "src": "https://v.example.cn/a.mp4", "onclick": "x"},
            {"type": "evil", "text": "x"},
            {"type": "paragraph", "text": "<script></script>"},
        ]
    )
    article.refresh_from_db()
    text = str(article.body)
    assert "script" not in text and "onerror" not in text and "javascript" not in text
    assert article.body[0]["text"].startswith("好<b>粗</b><a")
    assert article.body[2] == {"type": "image", "caption": "说明", "credit": "摄"}
    assert article.body[3] == {"type": "video", "src": "https://v.example.cn/a.mp4"}
    assert len(article.body) == 4


def test_a_body_that_is_not_a_list_is_refused():
    with pytest.raises(BodyError):
        clean_blocks({"type": "paragraph"})


def test_admin_text_form_round_trips():
    text = "\n\n".join(
        [
            "导语段落",
            "## 小标题",
            "[图片:7 夜色中的古城|摄影 李明]",
            "[分页]",
            "[视频:https://v.example.cn/a.mp4 航拍]",
            "第二页正文",
        ]
    )
    blocks = text_to_blocks(text)
    assert [b["type"] for b in blocks] == [
        "paragraph",
        "heading",
        "image",
        "pagebreak",
        "video",
        "paragraph",
    ]
    assert blocks[2] == {
        "type": "image",
        "image_id": 7,
        "caption": "夜色中的古城",
        "credit": "摄影 李明",
    }
    assert text_to_blocks(blocks_to_text(blocks)) == blocks


def test_unpublish_takes_an_article_off_the_site():
    article = make()
    assert article in queries.live()
    actions.do_unpublish_article(article)
    assert article not in queries.live()
    assert Tag.objects.count() == 0


def test_scheduled_publish_stays_off_until_its_time():
    article = make(status=Article.Status.DRAFT)
    actions.do_publish_article(article, at=timezone.now() + timedelta(hours=1))
    assert article.status == Article.Status.SCHEDULED and not article.is_live
    assert article not in queries.live()


def test_channel_listing_puts_pinned_first_and_pages_through_the_rest():
    now = timezone.now()
    articles = [
        make(f"稿{n}", channels=["suzhou"], published_at=now - timedelta(hours=n)) for n in range(7)
    ]
    pinned = make(
        "置顶稿", channels=["suzhou"], is_pinned=True, published_at=now - timedelta(days=3)
    )
    listing = queries.channel_listing(Channel.objects.get(slug="suzhou"))
    assert listing.count() == len(listing) == 8
    assert listing[0:3] == [pinned, articles[0], articles[1]]
    assert listing[3:6] == articles[2:5]
    assert listing[6:9] == articles[5:7]
    assert [a.pk for a in listing[0:8]] == [pinned.pk] + [a.pk for a in articles]
