"""The admin over channels, topics, people, tags and images: in Chinese, and every save and
delete through content's one door (the suite's guard fails any other write). The article
admin is the newsroom's: citydesk/newsroom/tests/test_admin.py."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Channel, Image, Person, Tag, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    group = Group.objects.create(name="后台编辑")
    group.permissions.set(Permission.objects.filter(content_type__app_label="content"))
    user = User.objects.create_user("editor", password="pw-123456", is_staff=True)
    user.groups.add(group)
    client.force_login(user)
    return user


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_admin_is_in_chinese_and_lists_every_model(client, editor):
    page = client.get("/admin/").content.decode()
    assert "内容管理" in page and "注销" in page
    for name in ["文章", "栏目", "专题", "人员", "标签", "图片"]:
        assert name in page


def test_images_are_uploaded_checked_and_deleted(client, editor):
    upload = SimpleUploadedFile("night.jpg", jpeg_bytes(), content_type="image/jpeg")
    resp = client.post(
        "/admin/content/image/add/",
        {"file": upload, "title": "夜景", "caption": "平江路夜色", "credit": "李明/摄"},
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    image = Image.objects.get()
    assert (image.width, image.height, image.focal_x) == (64, 48, 0.5)
    bad = SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg")
    resp = client.post("/admin/content/image/add/", {"file": bad, "title": "坏图"})
    assert resp.status_code == 200 and Image.objects.count() == 1
    resp = client.post(f"/admin/content/image/{image.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302 and not Image.objects.exists()


def test_a_topic_keeps_its_articles_in_the_order_given(client, editor):
    first, second = (
        actions.create_article(ArticleData(title=title, body=[]), status="published")
        for title in ("第一篇", "第二篇")
    )
    rows = {
        "topicarticle_set-TOTAL_FORMS": "2",
        "topicarticle_set-INITIAL_FORMS": "0",
        "topicarticle_set-MIN_NUM_FORMS": "0",
        "topicarticle_set-MAX_NUM_FORMS": "1000",
        "topicarticle_set-0-article": first.pk,
        "topicarticle_set-0-position": "2",
        "topicarticle_set-1-article": second.pk,
        "topicarticle_set-1-position": "1",
    }
    resp = client.post(
        "/admin/content/topic/add/",
        {"title": "运河专题", "slug": "yunhe", "intro": "", "position": "0", **rows,
         "is_published": "on", "created_at_0": "2026-01-01", "created_at_1": "08:00:00"},
    )  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    topic = Topic.objects.get(slug="yunhe")
    assert list(topic.articles.order_by("topicarticle__position")) == [second, first]


def test_channels_people_and_tags_are_saved_and_deleted_through_the_door(client, editor):
    resp = client.post(
        "/admin/content/channel/add/",
        {"name": "园林", "slug": "yuanlin", "kind": "list", "position": "9", "description": ""},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    channel = Channel.objects.get(slug="yuanlin")
    resp = client.post(
        "/admin/content/person/add/", {"name": "陈晓", "slug": "chenxiao", "organization": "苏报"}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert Person.objects.get(slug="chenxiao").organization == "苏报"
    assert (
        client.post("/admin/content/tag/add/", {"name": "夜游", "slug": "yeyou"}).status_code == 302
    )
    tag = Tag.objects.get(slug="yeyou")
    resp = client.post(
        "/admin/content/tag/",
        {"action": "delete_selected", "_selected_action": [tag.pk], "post": "yes"},
    )
    assert resp.status_code == 302 and not Tag.objects.filter(pk=tag.pk).exists()
    resp = client.post(f"/admin/content/channel/{channel.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302 and not Channel.objects.filter(pk=channel.pk).exists()
