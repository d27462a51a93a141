"""An editor writes and publishes an article through the admin (the newsroom minimum)."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from citydesk.content import queries
from citydesk.content.models import Article, Channel, Image, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    group = Group.objects.create(name="编辑")
    group.permissions.set(Permission.objects.filter(content_type__app_label="content"))
    user = User.objects.create_user("editor", password="pw-123456", is_staff=True)
    user.groups.add(group)
    client.force_login(user)
    return user


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def article_form(**overrides):
    data = {
        "title": "古城夜游线路上新",
        "subtitle": "",
        "summary": "十条夜游线路本周开放。",
        "kind": "article",
        "source": "名城苏州",
        "source_url": "",
        "byline_organization": "苏报融媒",
        "channels": [Channel.objects.get(slug="wenlv").pk],
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "credits-TOTAL_FORMS": "1",
        "credits-INITIAL_FORMS": "0",
        "credits-MIN_NUM_FORMS": "0",
        "credits-MAX_NUM_FORMS": "1000",
        "credits-0-person": "",
        "credits-0-role": "",
        "credits-0-position": "0",
    }
    data.update(overrides)
    return data


def test_admin_is_in_chinese_and_lists_every_model(client, editor):
    page = client.get("/admin/").content.decode()
    assert "内容管理" in page and "注销" in page
    for name in ["文章", "栏目", "专题", "人员", "标签", "图片"]:
        assert name in page


def test_editor_writes_and_publishes_with_heading_image_and_page_break(client, editor):
    upload = SimpleUploadedFile("night.jpg", jpeg_bytes(), content_type="image/jpeg")
    resp = client.post(
        "/admin/content/image/add/",
        {"file": upload, "title": "夜景", "caption": "平江路夜色", "credit": "李明/摄"},
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    image = Image.objects.get()
    assert (image.width, image.height) == (64, 48)
    writer = Person.objects.create(name="陈晓", slug="chenxiao")

    body = "\n\n".join(
        [
            "第一页导语。",
            "## 线路一览",
            f"[图片:{image.pk}]",
            "[分页]",
            "第二页正文<script>x()</script>。",
        ]
    )
    resp = client.post(
        "/admin/content/article/add/",
        article_form(body_text=body, **{"credits-0-person": writer.pk, "credits-0-role": "writer"}),
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    article = Article.objects.get()
    assert [b["type"] for b in article.body] == [
        "paragraph",
        "heading",
        "image",
        "pagebreak",
        "paragraph",
    ]
    assert article.body[4]["text"] == "第二页正文。"
    assert article.page_count == 2
    assert article.body[2]["src"] == image.file.url
    assert (article.body[2]["caption"], article.body[2]["credit"]) == ("平江路夜色", "李明/摄")
    assert article.published_at is not None
    assert article in queries.live()
    assert article.credits.get().person == writer

    edit = client.get(f"/admin/content/article/{article.pk}/change/").content.decode()
    assert "## 线路一览" in edit and "[分页]" in edit


def test_unknown_image_number_is_a_form_error_not_a_crash(client, editor):
    resp = client.post("/admin/content/article/add/", article_form(body_text="[图片:999]"))
    assert resp.status_code == 200
    assert "图片库中没有编号为 999 的图片" in resp.content.decode()
    assert Article.objects.count() == 0


def test_publish_action_from_the_list(client, editor):
    from citydesk.content.actions import ArticleData, create_article

    draft = create_article(ArticleData(title="待发稿", body=[{"type": "paragraph", "text": "x"}]))
    resp = client.post(
        "/admin/content/article/", {"action": "publish", "_selected_action": [draft.pk]}
    )
    assert resp.status_code == 302
    draft.refresh_from_db()
    assert draft.is_live


def test_the_article_list_filters_by_channel_with_children_and_searches_every_status(
    client, editor, django_capture_on_commit_callbacks
):
    from citydesk.content import actions
    from citydesk.content.actions import ArticleData

    suzhou = Channel.objects.get(slug="suzhou")
    Channel.objects.create(name="姑苏", slug="gusu", parent=suzhou)

    def make(title, status, channel):
        data = ArticleData(title=title, body=[{"type": "paragraph", "text": title}])
        data.channels = [channel]
        with django_capture_on_commit_callbacks(execute=True):  # indexed after commit
            return actions.create_article(data, status=status)

    live_child = make("姑苏古城墙修缮", Article.Status.PUBLISHED, "gusu")
    draft = make("古城墙草稿", Article.Status.DRAFT, "suzhou")
    elsewhere = make("国内古城墙新闻", Article.Status.PUBLISHED, "guonei")
    make("无关的稿件", Article.Status.PUBLISHED, "suzhou")

    def listed(query):
        response = client.get("/admin/content/article/" + query)
        assert response.status_code == 200
        return {a.pk for a in response.context["cl"].result_list}

    assert listed(f"?channel={suzhou.pk}") >= {live_child.pk, draft.pk}
    assert elsewhere.pk not in listed(f"?channel={suzhou.pk}")
    # 古城墙: live ones through the search index, the draft by its title.
    assert listed("?q=古城墙") == {live_child.pk, draft.pk, elsewhere.pk}
    assert listed(f"?q=古城墙&channel={suzhou.pk}") == {live_child.pk, draft.pk}
    assert listed("?q=古城墙&status__exact=draft") == {draft.pk}
    assert listed("?q=没有这个词") == set()
    assert listed("?channel=abc") >= {live_child.pk, draft.pk, elsewhere.pk}  # ignored


def test_the_article_list_never_selects_distinct_or_the_body(client, editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    suzhou = Channel.objects.get(slug="suzhou")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/admin/content/article/?channel={suzhou.pk}&q=苏州")
        assert response.status_code == 200
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "content_article"' in q["sql"]]
    assert listing and not any("DISTINCT" in sql for sql in listing)
    assert not any('"content_article"."body"' in sql for sql in listing)


def test_admin_saves_are_kept_and_audited_and_a_stale_one_is_refused(client, editor):
    resp = client.post("/admin/content/article/add/", article_form(body_text="第一稿"))
    assert resp.status_code == 302
    article = Article.objects.get()
    created = article.transitions.get()
    assert (created.actor, created.to_status, created.action) == (editor, "published", "admin")
    assert article.revisions.get().fields["title"] == "古城夜游线路上新"
    assert article.version == 1

    change = f"/admin/content/article/{article.pk}/change/"
    resp = client.post(change, article_form(title="改后的标题", base_version="1"))
    assert resp.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.version, article.revisions.count()) == ("改后的标题", 2, 2)
    assert article.transitions.count() == 1  # the status did not change

    resp = client.post(change, article_form(title="过时的修改", base_version="1"))
    assert resp.status_code == 200 and "已被他人保存（现为第2版）" in resp.content.decode()
    article.refresh_from_db()
    assert (article.title, article.version) == ("改后的标题", 2)
