"""The newsroom editor's pages: writing, stale saves, locks, the sensitive-word check,
preview, history, restore and image uploads, through HTTP as a browser sends them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as Picture

from citydesk.content.models import Article, Channel, Image
from citydesk.newsroom import actions as workflow
from citydesk.newsroom import locks
from citydesk.newsroom.models import Revision, SensitiveWord

pytestmark = pytest.mark.django_db

BODY = '<h2>夜游经济</h2><p>入夜后的平江路游人如织。</p><hr class="pagebreak"><p>第二页。</p>'


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fields(**changes) -> dict:
    data = {"title": "平江路夜游", "body": BODY, "base_version": 0, "source": "本报"}
    data.update(changes)
    return data


def write(client: Client, **changes) -> Article:
    response = client.post("/newsroom/new/", fields(**changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Article.objects.get(pk=int(response["Location"].split("/")[3]))


def test_a_reporter_writes_a_draft_and_it_keeps_a_revision(people):
    client = logged_in(people["reporter"])
    page = client.get("/newsroom/new/").content.decode()
    assert "data-django-prose-editor-configurable" in page and "字数" in page
    suzhou = Channel.objects.get(slug="suzhou")
    article = write(client, channels=[suzhou.pk])
    assert article.status == Article.Status.DRAFT and article.created_by == people["reporter"]
    assert article.body == [
        {"type": "heading", "text": "夜游经济"},
        {"type": "paragraph", "text": "入夜后的平江路游人如织。"},
        {"type": "pagebreak"},
        {"type": "paragraph", "text": "第二页。"},
    ]
    assert list(article.channels.all()) == [suzhou] and article.version == 1
    assert article.revisions.get().fields["title"] == "平江路夜游"
    edit = client.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    # 字数: 夜游经济 4 + 入夜后的平江路游人如织。 12 + 第二页。 4
    assert '<b id="char-count">20</b>' in edit


def test_bad_input_is_refused_with_a_message_and_nothing_stored(people):
    client = logged_in(people["reporter"])
    response = client.post("/newsroom/new/", fields(title="  "))
    assert response.status_code == 200 and "标题" in response.content.decode()
    body = '<figure><img src="/m/x.jpg" data-file="999"><figcaption>x</figcaption></figure>'
    response = client.post("/newsroom/new/", fields(body=body))
    assert "图片库中没有编号为 999 的图片" in response.content.decode()
    assert not Article.objects.exists()


def test_a_stale_save_is_refused_and_both_texts_are_kept(people, draft):
    article = draft(by="reporter")
    reporter, editor = logged_in(people["reporter"]), logged_in(people["editor"])
    editor.post(f"/newsroom/a/{article.pk}/edit/", fields(title="编辑改的标题"))
    response = reporter.post(
        f"/newsroom/a/{article.pk}/edit/", fields(title="记者改的标题", base_version=0)
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "王编在你打开之后保存了这篇稿件" in page
    assert 'value="记者改的标题"' in page  # the refused text is still in the form
    article.refresh_from_db()
    assert article.title == "编辑改的标题"
    refused = Revision.objects.get(article=article, applied=False)
    assert refused.fields["title"] == "记者改的标题"
    stored = article.revisions.filter(applied=True).first()
    compare = reporter.get(
        f"/newsroom/a/{article.pk}/history/?left={stored.pk}&right={refused.pk}"
    ).content.decode()
    assert "编辑改的标题" in compare and "记者改的标题" in compare and "未采用" in compare


def test_the_second_editor_sees_who_holds_the_lock(people, draft):
    article = draft(by="reporter")
    logged_in(people["reporter"]).get(f"/newsroom/a/{article.pk}/edit/")
    page = logged_in(people["editor"]).get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    assert "<strong>小记</strong>从" in page and "正在编辑这篇稿件" in page
    renewed = logged_in(people["reporter"]).post(f"/newsroom/a/{article.pk}/lock/")
    assert renewed.json()["mine"] is True
    other = logged_in(people["editor"]).post(f"/newsroom/a/{article.pk}/lock/").json()
    assert other["mine"] is False and other["holder"] == "小记"
    logged_in(people["reporter"]).post(f"/newsroom/a/{article.pk}/lock/", {"release": "1"})
    assert locks.holder(article) is None


def test_a_writer_cannot_change_a_submitted_piece(people, draft):
    article = draft(by="reporter")
    workflow.submit(people["reporter"], article)
    client = logged_in(people["reporter"])
    assert "你不能修改" in client.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    response = client.post(f"/newsroom/a/{article.pk}/edit/", fields(title="偷偷改"))
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).title == "送审测试稿"


def test_save_and_submit_stops_on_sensitive_words_until_a_chief_lets_it_through(people):
    SensitiveWord.objects.create(word="游人如织")
    reporter = logged_in(people["reporter"])
    article = write(reporter)
    page = reporter.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    assert "<mark>游人如织</mark>" in page and "正文第2段" in page
    reporter.post(f"/newsroom/a/{article.pk}/edit/", fields(base_version=1, then="submit"))
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and article.version == 2  # saved, not sent

    chief = logged_in(people["chief"])
    assert "敏感词放行理由" in chief.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    chief.post(
        f"/newsroom/a/{article.pk}/submit/",
        {"override_reason": "常用描写，非违规", "next": f"/newsroom/a/{article.pk}/edit/"},
    )
    article.refresh_from_db()
    assert article.status == Article.Status.SUBMITTED
    entry = article.transitions.last()
    assert entry is not None and "敏感词放行（游人如织）：常用描写，非违规" in entry.comment


def test_preview_is_the_reader_page_for_a_draft(people, client):
    article = write(logged_in(people["reporter"]))
    assert client.get(article.get_absolute_url()).status_code == 404  # readers: not yet
    response = logged_in(people["editor"]).get(f"/newsroom/a/{article.pk}/preview/")
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert 'class="preview-bar"' in page and "读者还看不到这个页面" in page
    assert "<h2>夜游经济</h2>" in page and 'class="article-body' in page
    assert f"/newsroom/a/{article.pk}/preview/2/" in page  # its pages link to previews
    assert "data-beacon" not in page  # a preview is not a reader's view
    second = logged_in(people["editor"]).get(f"/newsroom/a/{article.pk}/preview/2/")
    assert "第二页。" in second.content.decode()
    assert Client().get(f"/newsroom/a/{article.pk}/preview/").status_code == 302  # log in


def test_restore_puts_an_old_text_back_as_a_new_version(people):
    client = logged_in(people["reporter"])
    article = write(client)
    client.post(f"/newsroom/a/{article.pk}/edit/", fields(title="第二稿", base_version=1))
    first = article.revisions.get(version=1)
    client.post(f"/newsroom/a/{article.pk}/restore/{first.pk}/")
    article.refresh_from_db()
    assert (article.title, article.version) == ("平江路夜游", 3)
    newest = article.revisions.first()
    assert newest is not None and newest.note == "恢复自第1版"


def _upload(content: bytes, name: str = "a.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_an_upload_from_the_editor_is_checked(people):
    client = logged_in(people["reporter"])
    refused = client.post("/newsroom/images/", {"file": _upload(b"not a picture at all")})
    assert refused.status_code == 400 and refused.json()["error"]
    assert not Image.objects.exists()
    buffer = io.BytesIO()
    Picture.new("RGB", (640, 480), (10, 120, 200)).save(buffer, "JPEG")
    answer = client.post(
        "/newsroom/images/",
        {"file": _upload(buffer.getvalue()), "caption": "平江路", "credit": "摄影 张三"},
    ).json()
    image = Image.objects.get(pk=answer["id"])
    assert (image.caption, image.credit, answer["src"]) == ("平江路", "摄影 张三", image.file.url)
    outsider = logged_in(people["outsider"]).post("/newsroom/images/", {"file": _upload(b"x")})
    assert outsider.status_code == 403


def test_the_cover_focal_point_decides_the_crop_on_lists(people, client):
    from datetime import timedelta

    from django.utils import timezone

    from citydesk.newsroom import actions as workflow

    editor = logged_in(people["editor"])
    article = write(editor, channels=[Channel.objects.get(slug="suzhou").pk])
    buffer = io.BytesIO()
    Picture.new("RGB", (1200, 600), (10, 120, 200)).save(buffer, "JPEG")
    response = editor.post(
        f"/newsroom/a/{article.pk}/edit/",
        {
            **fields(base_version=1, channels=[Channel.objects.get(slug="suzhou").pk]),
            "cover": _upload(buffer.getvalue(), "cover.jpg"),
            "cover_focal_x": "0.2",
            "cover_focal_y": "0.75",
        },
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.cover and (article.cover_focal_x, article.cover_focal_y) == (0.2, 0.75)
    bad = editor.post(f"/newsroom/a/{article.pk}/edit/", fields(base_version=2, cover_focal_x="3"))
    assert bad.status_code == 400 and "确保该值小于或等于1" in bad.content.decode()
    article.refresh_from_db()
    assert article.cover_focal_x == 0.2 and article.version == 2  # nothing of it stored
    workflow.approve(people["chief"], workflow.submit(people["editor"], article))
    workflow.publish(people["chief"], article)
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    page = client.get("/suzhou/").content.decode()
    assert 'style="object-position:20% 75%"' in page


def test_malformed_ids_are_never_a_crash(people, draft):
    client = logged_in(people["reporter"])
    article = write(client)
    odd = '<p>正文。</p><figure><img src="/x.jpg" data-file="²"></figure>'
    response = client.post(f"/newsroom/a/{article.pk}/edit/", fields(body=odd, base_version=1))
    assert response.status_code == 302
    for query in ("?left=²&right=1", "?left=100000000000000000000&right=1", "?left=x"):
        assert client.get(f"/newsroom/a/{article.pk}/history/{query}").status_code == 200


def test_a_reader_of_the_page_does_not_take_the_lock(people, draft):
    article = draft(by="reporter")
    workflow.submit(people["reporter"], article)
    client = logged_in(people["reporter"])  # may no longer edit it
    client.get(f"/newsroom/a/{article.pk}/edit/")
    assert locks.holder(article) is None
    assert client.post(f"/newsroom/a/{article.pk}/lock/").status_code == 403


def test_restore_refuses_to_overwrite_a_newer_save(people):
    client = logged_in(people["reporter"])
    article = write(client)
    first = article.revisions.get(version=1)
    client.post(f"/newsroom/a/{article.pk}/edit/", fields(title="第二稿", base_version=1))
    client.post(f"/newsroom/a/{article.pk}/restore/{first.pk}/", {"base_version": "1"})
    article.refresh_from_db()
    assert (article.title, article.version) == ("第二稿", 2)  # shown version 1 was stale


def test_an_edit_of_a_live_piece_is_checked_too(people, draft):
    article = draft(by="reporter")
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    workflow.publish(people["chief"], article)
    SensitiveWord.objects.create(word="违禁词")
    editor = logged_in(people["editor"])
    body = "<p>加了一个违禁词。</p>"
    response = editor.post(
        f"/newsroom/a/{article.pk}/edit/", fields(body=body, base_version=article.version)
    )
    assert response.status_code == 400 and "<mark>违禁词</mark>" in response.content.decode()
    article.refresh_from_db()
    assert "违禁词" not in str(article.body)  # the live page never got it
    chief = logged_in(people["chief"])
    chief.post(
        f"/newsroom/a/{article.pk}/edit/",
        fields(body=body, base_version=article.version, override_reason="引用原文"),
    )
    article.refresh_from_db()
    assert "违禁词" in str(article.body)
    assert article.revisions.first().note == "敏感词放行（违禁词）：引用原文"
