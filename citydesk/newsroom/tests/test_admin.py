"""The article admin goes through the workflow: its status is no free field, its steps and
bulk actions are the newsroom's (checked, audited, with the sensitive-word check and
三审), and every save is a new version with its revision, stored through content's door."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone
from PIL import Image as PILImage

from citydesk.content import actions as content
from citydesk.content import queries
from citydesk.content.blocks import blocks_to_text
from citydesk.content.models import Article, Channel, Person, Topic
from citydesk.newsroom import actions as workflow
from citydesk.newsroom.models import Revision, SensitiveWord, Transition

pytestmark = pytest.mark.django_db
Status = Article.Status
ADMIN = "/admin/content/article/"


def staff(user: User, *codenames: str) -> Client:
    """`user` given the admin and the article permissions (all of them by default, and
    the byline's, the inline's)."""
    user.is_staff = True
    user.save()
    names = codenames or [
        f"{verb}_{model}"
        for verb in ("add", "change", "delete", "view")
        for model in ("article", "articlecredit")
    ]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="content", codename__in=names)
    )
    client = Client()
    client.force_login(user)
    return client


def form_data(article: Article | None = None, **overrides: object) -> dict[str, object]:
    """The change form as the browser posts it: the article's values as they are."""
    local = timezone.localtime(article.published_at) if article and article.published_at else None
    data: dict[str, object] = {
        "title": article.title if article else "古城夜游线路上新",
        "subtitle": article.subtitle if article else "",
        "summary": article.summary if article else "十条夜游线路本周开放。",
        "kind": article.kind if article else "article",
        "source": article.source if article else "名城苏州",
        "source_url": article.source_url if article else "",
        "byline_organization": article.byline_organization if article else "",
        "channels": [c.pk for c in article.channels.all()]
        if article
        else [Channel.objects.get(slug="wenlv").pk],
        "responsible_editor": article.responsible_editor_id or "" if article else "",
        "tags": [t.pk for t in article.tags.all()] if article else [],
        "body_text": blocks_to_text(article.body) if article else "正文。",
        "base_version": article.version if article else "",
        "published_at_0": local.strftime("%Y-%m-%d") if local else "",
        "published_at_1": local.strftime("%H:%M:%S") if local else "",
        "step": "",
        "step_comment": "",
        "override_reason": "",
        "credits-TOTAL_FORMS": "0",
        "credits-INITIAL_FORMS": "0",
        "credits-MIN_NUM_FORMS": "0",
        "credits-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def change(client: Client, article: Article, **overrides):
    article.refresh_from_db()
    return client.post(f"{ADMIN}{article.pk}/change/", form_data(article, **overrides))


def in_state(draft, status: str, by: str = "reporter2") -> Article:
    article = draft(by=by)
    Article.objects.filter(pk=article.pk).update(status=status)
    article.refresh_from_db()
    return article


def records(article: Article) -> tuple[int, int]:
    return article.transitions.count(), Revision.objects.filter(article=article).count()


def step_choices(page: str) -> list[str]:
    select = re.search(r'<select name="step"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="(\w+)"', select.group(1)) if select else []


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


# A reporter given the admin's article permissions --------------------------------------


def test_a_reporter_cannot_publish_their_own_draft_through_the_form(draft, people):
    article = draft(by="reporter")
    reporter = staff(people["reporter"], "change_article")
    page = reporter.get(f"{ADMIN}{article.pk}/change/").content.decode()
    assert step_choices(page) == ["submit"]  # what the newsroom offers them, no more
    assert 'name="status"' not in page  # the state is shown, not a field

    forged = change(reporter, article, step="publish")
    assert forged.status_code == 200 and "选择一个有效的选项" in forged.content.decode()
    old_field = change(reporter, article, status="published", title="改了标题")
    assert old_field.status_code == 302  # the edit is theirs to make; the status is ignored
    article.refresh_from_db()
    assert (article.status, article.title) == (Status.DRAFT, "改了标题")
    assert not article.transitions.exists()
    assert article.revisions.get().note == "在后台保存"

    assert change(reporter, article, step="submit").status_code == 302
    article.refresh_from_db()
    assert article.status == Status.SUBMITTED
    entry = article.transitions.get()
    assert (entry.actor, entry.action, entry.to_status) == (
        people["reporter"],
        "submit",
        "submitted",
    )
    assert article.revisions.count() == 2  # every save a version
    # Submitted, it is the editors' now: read-only for its writer, a post is refused.
    assert change(reporter, article, title="偷偷改").status_code == 403
    assert Article.objects.get(pk=article.pk).title == "改了标题"


def test_a_reporter_cannot_publish_through_the_bulk_action(draft, people):
    article = draft(by="reporter")
    reporter = staff(people["reporter"], "change_article")
    listing = reporter.get(ADMIN).content.decode()
    assert "签发所选稿件" not in listing  # not their cell of the matrix
    response = reporter.post(ADMIN, {"action": "publish", "_selected_action": [article.pk]})
    assert response.status_code in (200, 302)
    article.refresh_from_db()
    assert article.status == Status.DRAFT and not article.transitions.exists()


def live(article: Article) -> Article:
    Article.objects.filter(pk=article.pk).update(
        status=Status.PUBLISHED, published_at=timezone.now()
    )
    article.refresh_from_db()
    return article


def test_a_reporter_sees_no_colleagues_unpublished_piece_in_the_admin(draft, people):
    # The embargo (read_others) holds in the admin as in the newsroom.
    others, own = draft(by="reporter2"), draft(by="reporter")
    reporter = staff(people["reporter"], "change_article", "delete_article")
    listing = reporter.get(ADMIN).content.decode()
    assert f"/{own.pk}/change/" in listing and f"/{others.pk}/change/" not in listing
    hidden = reporter.get(f"{ADMIN}{others.pk}/change/")
    assert hidden.status_code == 302 and others.title not in hidden.content.decode()
    editor = staff(people["editor"], "change_article")
    assert f"/{others.pk}/change/" in editor.get(ADMIN).content.decode()


def test_a_reporter_edits_only_what_the_newsroom_lets_them(draft, people):
    others = live(draft(by="reporter2"))
    reporter = staff(people["reporter"], "change_article", "delete_article")
    page = reporter.get(f"{ADMIN}{others.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in html  # read-only
    assert "已发布" in html and "流程意见" not in html
    assert change(reporter, others, title="改别人的稿").status_code == 403
    assert reporter.post(f"{ADMIN}{others.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Article.objects.get(pk=others.pk).title == "送审测试稿"
    own = draft(by="reporter")  # a draft of one's own may go
    assert reporter.post(f"{ADMIN}{own.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=own.pk).exists()


def test_a_bulk_delete_of_pieces_one_may_not_delete_deletes_none(draft, people):
    own, others = draft(by="reporter"), live(draft(by="reporter2"))
    reporter = staff(people["reporter"], "change_article", "delete_article")
    selected = {"action": "delete_selected", "_selected_action": [own.pk, others.pk]}
    confirm = reporter.post(ADMIN, selected).content.decode()
    assert "稿件《送审测试稿》" in confirm  # named as one they may not delete
    assert reporter.post(ADMIN, {**selected, "post": "yes"}).status_code == 403
    assert Article.objects.filter(pk__in=[own.pk, others.pk]).count() == 2


# A chief editor --------------------------------------------------------------------------


def test_a_chief_cannot_publish_a_flagged_piece_without_a_reason(draft, people):
    article = in_state(draft, Status.APPROVED)
    SensitiveWord.objects.create(word="违禁词")
    chief = staff(people["chief"])
    body = "正文提到违禁词。"
    refused = change(chief, article, body_text=body, step="publish")
    assert refused.status_code == 200
    assert "稿件含有敏感词：违禁词" in refused.content.decode()
    article.refresh_from_db()
    assert article.status == Status.APPROVED and "违禁词" not in str(article.body)
    assert records(article) == (0, 0)  # nothing stored, nothing recorded
    # The old free field: ignored.
    assert change(chief, article, status="published").status_code == 302
    article.refresh_from_db()
    assert article.status == Status.APPROVED and not article.transitions.exists()

    allowed = change(
        chief, article, body_text=body, step="publish", override_reason="引用原话，经核实"
    )
    assert allowed.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and "违禁词" in str(article.body)
    entry = article.transitions.get()
    assert (entry.actor, entry.action, entry.from_status) == (
        people["chief"],
        "publish",
        "approved",
    )
    assert entry.comment == "敏感词放行（违禁词）：引用原话，经核实"
    newest = article.revisions.first()
    assert newest is not None and newest.fields["body"][0]["text"] == body
    assert article in queries.live()


def test_an_edit_of_a_live_piece_brings_no_new_word_without_a_reason(draft, people):
    article = in_state(draft, Status.APPROVED)
    workflow.publish(people["chief"], article)
    SensitiveWord.objects.create(word="违禁词")
    editor = staff(people["editor"])
    response = change(editor, article, body_text="加了违禁词。")
    assert response.status_code == 200 and "违禁词" in response.content.decode()
    article.refresh_from_db()
    assert "违禁词" not in str(article.body) and article.revisions.count() == 0
    # An editor may not let it through; a chief may, and the revision keeps why.
    refused = change(editor, article, body_text="加了违禁词。", override_reason="我看没事")
    assert refused.status_code == 200 and "敏感词放行" in refused.content.decode()
    assert change(staff(people["chief"]), article, body_text="加了违禁词。", override_reason="原文")
    article.refresh_from_db()
    assert "违禁词" in str(article.body)
    assert article.revisions.get().note == "敏感词放行（违禁词）：原文"


def test_a_chief_bulk_publish_reports_each_refusal(draft, people):
    ready = in_state(draft, Status.APPROVED)
    not_reviewed = draft(by="reporter2")
    flagged = in_state(draft, Status.APPROVED)
    content.edit_article(flagged, {"title": "含有违禁词的稿件"})
    SensitiveWord.objects.create(word="违禁词")
    chief = staff(people["chief"])
    response = chief.post(
        ADMIN,
        {"action": "publish", "_selected_action": [ready.pk, not_reviewed.pk, flagged.pk]},
        follow=True,
    )
    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert "已签发 1 篇稿件" in said
    assert "《送审测试稿》没有签发：稿件现在是“草稿”，不能签发" in said
    assert any(m.startswith("《含有违禁词的稿件》没有签发：稿件含有敏感词：违禁词") for m in said)
    statuses = {a.pk: a.status for a in Article.objects.all()}
    assert statuses == {
        ready.pk: Status.PUBLISHED,
        not_reviewed.pk: Status.DRAFT,
        flagged.pk: Status.APPROVED,
    }
    assert ready.transitions.get().action == "publish"
    assert not flagged.transitions.exists() and not not_reviewed.transitions.exists()

    response = chief.post(
        ADMIN, {"action": "unpublish", "_selected_action": [ready.pk, flagged.pk]}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert "已撤下 1 篇稿件" in said and any("不能撤下" in m for m in said)
    assert Article.objects.get(pk=ready.pk).status == Status.UNPUBLISHED


def test_three_stage_review_holds_in_the_admin(draft, people):
    Channel.objects.filter(slug="suzhou").update(three_stage_review=True)
    article = in_state(draft, Status.SUBMITTED)
    editor, editor2 = staff(people["editor"]), staff(people["editor2"])
    assert change(editor, article, step="approve", step_comment="初审").status_code == 302
    article.refresh_from_db()
    assert (article.status, article.review_stage) == (Status.SUBMITTED, 1)
    again = change(editor, article, step="approve")
    assert again.status_code == 200 and "同一人不能审核同一稿件的两个阶段" in again.content.decode()
    assert change(editor2, article, step="approve").status_code == 302
    third = change(staff(people["admin"]), article, step="publish")
    assert third.status_code == 200 and "选择一个有效的选项" in third.content.decode()
    final = change(staff(people["chief"]), article, step="approve", step_comment="终审")
    assert final.status_code == 302
    article.refresh_from_db()
    assert (article.status, article.review_stage) == (Status.APPROVED, 3)
    assert [t.stage for t in article.transitions.all()] == [1, 2, 3]
    assert article.revisions.count() == 3  # one a save


def test_steps_take_their_comment_and_time(draft, people):
    article = in_state(draft, Status.SUBMITTED)
    editor = staff(people["editor"])
    response = change(editor, article, step="return")
    assert response.status_code == 200 and "退回必须写明退回意见" in response.content.decode()
    assert change(editor, article, step="return", step_comment="补充来源").status_code == 302
    assert article.transitions.get().comment == "补充来源"

    approved = in_state(draft, Status.APPROVED)
    chief = staff(people["chief"])
    response = change(chief, approved, step="schedule")
    assert "定时发布需要填写一个将来的发布时间" in response.content.decode()
    at = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    local = timezone.localtime(at)
    fields = {"published_at_0": f"{local:%Y-%m-%d}", "published_at_1": f"{local:%H:%M:%S}"}
    assert change(chief, approved, step="schedule", **fields).status_code == 302
    approved.refresh_from_db()
    assert (approved.status, approved.published_at) == (Status.SCHEDULED, at)
    assert approved not in queries.live()
    assert approved.transitions.get().action == "schedule"

    # A time alone moves nothing: not a scheduled one, nor a live one into the future.
    later = timezone.localtime(at + timedelta(days=1))
    moved = change(chief, approved, published_at_0=f"{later:%Y-%m-%d}")
    assert moved.status_code == 200 and "请在“流程操作”中选择“定时发布”" in moved.content.decode()
    workflow.publish(people["chief"], approved)
    hidden = change(chief, approved, published_at_0=f"{later:%Y-%m-%d}")
    assert hidden.status_code == 200 and "发布时间不能在将来" in hidden.content.decode()
    assert Article.objects.get(pk=approved.pk) in queries.live()


def test_the_whole_flow_through_the_admin(people):
    """A reporter writes and submits with a heading, an image and a page break; an editor
    approves; a chief editor publishes: each step recorded, each save a revision."""
    reporter, editor, chief = (staff(people[w]) for w in ("reporter", "editor", "chief"))
    image = content.create_image("night.jpg", jpeg_bytes(), caption="平江路夜色", credit="李明/摄")
    writer = Person.objects.create(name="陈晓", slug="chenxiao")
    body = "\n\n".join(["第一页导语。", "## 线路一览", f"[图片:{image.pk}]", "[分页]", "第二页。"])
    credit: dict[str, object] = {
        "credits-TOTAL_FORMS": "1",
        "credits-0-person": writer.pk,
        "credits-0-role": "writer",
        "credits-0-position": "0",
    }
    page = reporter.get(f"{ADMIN}add/").content.decode()
    assert step_choices(page) == ["submit"]
    response = reporter.post(f"{ADMIN}add/", {**form_data(body_text=body, step="submit"), **credit})
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert (article.status, article.created_by, article.version) == (
        Status.SUBMITTED,
        people["reporter"],
        1,
    )
    assert [b["type"] for b in article.body] == [
        "paragraph",
        "heading",
        "image",
        "pagebreak",
        "paragraph",
    ]
    assert article.body[2]["src"] == image.file.url and article.page_count == 2
    assert article.credits.get().person == writer

    assert change(editor, article, step="approve").status_code == 302
    assert change(chief, article, step="publish").status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article in queries.live()
    trail = [(t.actor, t.action) for t in article.transitions.all()]
    assert trail == [
        (people["reporter"], "submit"),
        (people["editor"], "approve"),
        (people["chief"], "publish"),
    ]
    assert article.responsible_editor is not None
    assert article.responsible_editor.name == "王编"
    assert [r.version for r in article.revisions.all()] == [3, 2, 1]
    assert article.credits.get().person == writer  # untouched by the later saves
    edit = chief.get(f"{ADMIN}{article.pk}/change/").content.decode()
    assert "## 线路一览" in edit and "[分页]" in edit


def test_unknown_image_number_is_a_form_error_not_a_crash(people):
    chief = staff(people["chief"])
    response = chief.post(f"{ADMIN}add/", form_data(body_text="[图片:999]"))
    assert response.status_code == 200
    assert "图片库中没有编号为 999 的图片" in response.content.decode()
    assert Article.objects.count() == 0


def test_a_stale_form_is_refused(draft, people):
    article = draft(by="reporter")
    chief = staff(people["chief"])
    assert change(chief, article, title="改后的标题").status_code == 302
    article.refresh_from_db()
    assert (article.title, article.version) == ("改后的标题", 1)
    response = chief.post(
        f"{ADMIN}{article.pk}/change/", form_data(article, title="过时的修改", base_version="0")
    )
    assert response.status_code == 200 and "已被他人保存（现为第1版）" in response.content.decode()
    article.refresh_from_db()
    assert (article.title, article.version, article.revisions.count()) == ("改后的标题", 1, 1)


def test_a_chief_deletes_through_the_door(draft, people):
    live = in_state(draft, Status.APPROVED)
    workflow.publish(people["chief"], live)
    chief = staff(people["chief"])
    assert chief.post(f"{ADMIN}{live.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=live.pk).exists()
    assert not Transition.objects.filter(article_id=live.pk).exists()


# The list --------------------------------------------------------------------------------


def test_the_article_list_filters_by_channel_with_children_and_searches_every_status(
    people, django_capture_on_commit_callbacks
):
    client = staff(people["chief"])
    suzhou = Channel.objects.get(slug="suzhou")
    content.save_related(Channel(name="姑苏", slug="gusu", parent=suzhou))

    def make(title, status, channel):
        data = content.ArticleData(title=title, body=[{"type": "paragraph", "text": title}])
        data.channels = [channel]
        with django_capture_on_commit_callbacks(execute=True):  # indexed after commit
            return content.create_article(data, status=status)

    live_child = make("姑苏古城墙修缮", Status.PUBLISHED, "gusu")
    draft = make("古城墙草稿", Status.DRAFT, "suzhou")
    elsewhere = make("国内古城墙新闻", Status.PUBLISHED, "guonei")
    make("无关的稿件", Status.PUBLISHED, "suzhou")

    def listed(query):
        response = client.get(ADMIN + query)
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


def test_the_article_list_never_selects_distinct_or_the_body(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff(people["chief"])
    suzhou = Channel.objects.get(slug="suzhou")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{ADMIN}?channel={suzhou.pk}&q=苏州")
        assert response.status_code == 200
    listing = [q["sql"] for q in ctx.captured_queries if 'FROM "content_article"' in q["sql"]]
    assert listing and not any("DISTINCT" in sql for sql in listing)
    assert not any('"content_article"."body"' in sql for sql in listing)


def test_a_big_list_is_counted_by_the_planners_estimate(people, monkeypatch):
    from citydesk.newsroom import admin as newsroom_admin

    client = staff(people["chief"])
    for title in ("计数一", "计数二", "计数草稿"):
        data = content.ArticleData(title=title, body=[{"type": "paragraph", "text": "文"}])
        content.create_article(data, status=Status.DRAFT if "草稿" in title else Status.PUBLISHED)
    monkeypatch.setattr(newsroom_admin.ArchivePaginator, "ESTIMATED_ABOVE", 100)
    monkeypatch.setattr(newsroom_admin, "planned_rows", lambda queryset: 500)
    response = client.get(ADMIN)
    paginator = response.context["cl"].paginator
    assert paginator.estimated and paginator.count == 500 and paginator.num_pages == 10
    assert "约 500 文章" in re.sub(r"\s+", " ", response.content.decode())
    # A page past an estimate's end is shown (empty), not refused.
    beyond = client.get(ADMIN + "?p=12")
    assert beyond.status_code == 200 and list(beyond.context["cl"].result_list) == []
    # A list the planner expects to be small is counted exactly.
    monkeypatch.setattr(newsroom_admin, "planned_rows", lambda queryset: 5)
    response = client.get(ADMIN)
    assert not response.context["cl"].paginator.estimated
    assert response.context["cl"].result_count == 3
    assert "约" not in re.sub(r"\s+", " ", response.content.decode()).split("paginator")[-1]


def test_planned_rows_is_postgresqls_estimate(people):
    from django.db import connection

    from citydesk.core.rows import planned_rows

    content.create_article(content.ArticleData(title="估计", body=[]), status=Status.DRAFT)
    planned = planned_rows(Article.objects.all())
    if connection.vendor == "postgresql":
        assert isinstance(planned, int) and planned >= 1
        assert planned_rows(Article.objects.filter(pk__in=[])) == 0  # can match nothing
    else:
        assert planned is None  # SQLite counts exactly


def test_the_list_sorts_by_title_and_time_only(people):
    client = staff(people["chief"])
    for title, status in (
        ("B稿", Status.PUBLISHED),
        ("A稿", Status.DRAFT),
        ("C稿", Status.PUBLISHED),
    ):
        data = content.ArticleData(title=title, body=[{"type": "paragraph", "text": "文"}])
        content.create_article(data, status=status)

    def titles(query: str) -> list[str]:
        response = client.get(ADMIN + query)
        assert response.status_code == 200
        return [a.title for a in response.context["cl"].result_list]

    assert titles("?o=1") == ["A稿", "B稿", "C稿"] and titles("?o=-1") == ["C稿", "B稿", "A稿"]
    # Status (column 2) has no sort: a typed-in ?o=2 is left out, and the list is by
    # the tie-break alone, newest made first (the draft A has no publish time).
    assert titles("?o=2") == ["C稿", "A稿", "B稿"]
    assert 'href="?o=2' not in client.get(ADMIN).content.decode()


def test_the_form_alone_never_writes(people):
    from citydesk.newsroom.admin import ArticleForm

    form = ArticleForm(data=form_data())
    assert form.is_valid(), form.errors
    with pytest.raises(ValueError, match=r"citydesk\.content\.actions"):
        form.save()
    assert not Article.objects.exists()


# 定时发布 through the admin (it was the status field and a time; now the step and a time)


def _time_fields(at) -> dict:
    local = timezone.localtime(at)
    return {"published_at_0": f"{local:%Y-%m-%d}", "published_at_1": f"{local:%H:%M:%S}"}


@pytest.mark.parametrize("when", [None, timedelta(minutes=-5)])
def test_a_schedule_needs_a_future_time(draft, people, when):
    article = in_state(draft, Status.APPROVED)
    fields = _time_fields(timezone.now() + when) if when is not None else {}
    response = change(staff(people["admin"]), article, step="schedule", **fields)
    assert response.status_code == 200
    assert "定时发布需要填写一个将来的发布时间" in response.content.decode()
    article.refresh_from_db()
    assert article.status == Status.APPROVED and records(article) == (0, 0)


def test_an_administrator_schedules_and_a_future_time_never_publishes(draft, people):
    at = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    article = in_state(draft, Status.APPROVED)
    admin_client = staff(people["admin"])
    refused = change(admin_client, article, step="publish", **_time_fields(at))
    assert refused.status_code == 200 and "发布时间不能在将来" in refused.content.decode()
    assert Article.objects.get(pk=article.pk).status == Status.APPROVED
    assert change(admin_client, article, step="schedule", **_time_fields(at)).status_code == 302
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Status.SCHEDULED, at)
    assert article not in queries.live() and records(article) == (1, 1)


def test_adding_an_article_or_a_topic_is_one_change(people):
    """One save in the admin is one unit of work: one announcement, one set of follow-ups
    (not a create, then an edit)."""
    from citydesk.content import signals
    from citydesk.core.testing import announced

    chief = staff(people["chief"])
    assert chief.post(f"{ADMIN}add/", form_data()).status_code == 302
    (change,) = announced(signals.article_changed)
    assert change["before"] is None and change["after"] is not None
    article = Article.objects.get()
    assert (article.status, article.version, article.created_by) == (
        Status.DRAFT,
        1,
        people["chief"],
    )

    admin = Client()
    admin.force_login(User.objects.create_superuser("root"))
    response = admin.post(
        "/admin/content/topic/add/",
        {
            "title": "古城夜游",
            "slug": "guchengyeyou",
            "intro": "",
            "position": "0",
            "is_published": "on",
            "created_at_0": "2026-12-06",
            "created_at_1": "10:00:00",
            "topicarticle_set-TOTAL_FORMS": "1",
            "topicarticle_set-INITIAL_FORMS": "0",
            "topicarticle_set-MIN_NUM_FORMS": "0",
            "topicarticle_set-MAX_NUM_FORMS": "1000",
            "topicarticle_set-0-article": article.pk,
            "topicarticle_set-0-position": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (topic_change,) = announced(signals.related_changed)
    assert topic_change["before"] is None and topic_change["model"] == "content.topic"
    topic = Topic.objects.get()
    assert list(topic.articles.values_list("pk", flat=True)) == [article.pk]
