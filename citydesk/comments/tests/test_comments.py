"""评论: posting under each channel's rule, the sensitive words, abuse (floods, hostile
markup, a 100 kB comment, posts from other sites, forged moderation), 举报, the queue."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from citydesk.comments.models import Comment, CommentPolicy
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel
from citydesk.newsroom.models import SensitiveWord
from citydesk.newsroom.roles import GROUPS, Role

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    settings.SITE_URL = SITE
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def article():
    return actions.create_article(
        ArticleData(
            title="地铁六号线开通",
            body=[{"type": "paragraph", "text": "今日开通。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )


def post(article, client=None, address="203.0.113.7", **fields):
    data = {"nickname": "老苏州", "body": "出行方便多了。", **fields}
    return (client or Client()).post(
        f"/comments/{article.pk}/", data, HTTP_ORIGIN=SITE, REMOTE_ADDR=address
    )


def fragment(article) -> str:
    return Client().get(f"/fragments/comments/{article.pk}/").content.decode()


def test_review_first_by_default_and_publish_first_where_the_channel_says(article):
    answer = post(article)
    assert answer.status_code == 201 and "审核通过后显示" in answer.content.decode()
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert "出行方便多了" not in fragment(article)

    CommentPolicy.objects.create(channel=Channel.objects.get(slug="suzhou"), mode="publish_first")
    answer = post(article, body="站台很干净。", address="203.0.113.8")
    assert "评论已发表" in answer.content.decode()
    shown = fragment(article)
    assert "站台很干净。" in shown and '<span class="comment-count">1</span>' in shown
    assert "203.0.113.8" not in shown  # neither the address nor a contact is ever shown


def test_listed_words_wait_for_review_even_under_publish_first(article):
    CommentPolicy.objects.create(channel=Channel.objects.get(slug="suzhou"), mode="publish_first")
    SensitiveWord.objects.create(word="代开发票")
    post(article, body="代 开 发 票 请联系", address="198.51.100.1")  # spaced out
    post(article, body="代开发票请联系", address="198.51.100.2")
    post(article, body="天气不错", address="198.51.100.3")
    held = Comment.objects.filter(status=Comment.Status.PENDING)
    assert sorted(c.body for c in held) == ["代 开 发 票 请联系", "代开发票请联系"]
    assert all("代开发票" in c.note for c in held)
    assert Comment.objects.get(body="天气不错").status == Comment.Status.APPROVED


def test_floods_are_refused_per_network_and_per_reader(article):
    browser = Client()
    assert post(article, browser).status_code == 201
    assert post(article, browser, address="203.0.113.99").status_code == 429  # same reader
    for n in range(2):
        assert post(article, address="192.0.2.1", body=f"第{n}条").status_code == 201
    assert post(article, address="192.0.2.1").status_code == 201
    flood = post(article, address="192.0.2.1", body="第四条")
    assert flood.status_code == 429 and "太频繁" in flood.content.decode()
    assert Comment.objects.filter(network="192.0.2.1").count() == 3


def test_hostile_and_oversized_input_gets_a_message_and_stores_nothing(article):
    CommentPolicy.objects.create(channel=Channel.objects.get(slug="suzhou"), mode="publish_first")
    post(
        article,
        body="<script>alert(1)</script><img src=x onerror=alert(2)>\u202e反转",
        address="192.0.2.50",
    )
    shown = fragment(article)
    assert "<script>alert" not in shown and "<img src=x" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "\u202e" not in shown

    before = Comment.objects.count()
    huge = Client().post(
        f"/comments/{article.pk}/", {"nickname": "x", "body": "长" * 100_000}, HTTP_ORIGIN=SITE
    )
    assert huge.status_code == 413 and "最多 500 字" in huge.content.decode()
    cases = [
        ({"nickname": ""}, 400, "昵称"),
        ({"body": "  "}, 400, "不能为空"),
        ({"contact": "not-a-phone"}, 400, "手机号或电子邮箱"),
        ({"website": "http://spam"}, 400, "未能提交"),
    ]
    for n, (fields, status, message) in enumerate(cases):
        answer = post(article, address=f"192.0.2.{60 + n}", **fields)
        assert answer.status_code == status and message in answer.content.decode()
    other_site = Client().post(
        f"/comments/{article.pk}/",
        {"nickname": "a", "body": "b"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert other_site.status_code == 403
    assert Comment.objects.count() == before


def test_a_draft_is_not_found_not_named(article):
    draft = actions.create_article(
        ArticleData(
            title="尚未发布的独家稿",
            body=[{"type": "paragraph", "text": "正文。"}],
            channels=["suzhou"],
        )
    )
    for data in ({"nickname": "a", "body": "b"}, {"website": "x"}):
        answer = Client().post(f"/comments/{draft.pk}/", data, HTTP_ORIGIN="https://evil.example")
        assert answer.status_code == 404 and "尚未发布的独家稿" not in answer.content.decode()


def test_retracted_or_closed_articles_refuse_clearly(article):
    actions.do_retract_article(article)
    answer = post(article)
    assert answer.status_code == 403 and "已撤稿" in answer.content.decode()
    other = actions.create_article(
        ArticleData(
            title="另一篇", body=[{"type": "paragraph", "text": "正文。"}], channels=["guonei"]
        ),
        status=Article.Status.PUBLISHED,
    )
    CommentPolicy.objects.create(channel=Channel.objects.get(slug="guonei"), closed=True)
    assert "这个栏目已关闭评论" in post(other, address="192.0.2.9").content.decode()
    assert "这个栏目已关闭评论" in fragment(other)
    assert Comment.objects.count() == 0


def moderator(role: Role) -> Client:
    user = User.objects.create_user(f"m{role.value}")
    user.groups.add(Group.objects.get(name=GROUPS[role]))
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_approves_replies_and_reports_hide(article):
    post(article)
    comment = Comment.objects.get()
    editor = moderator(Role.EDITOR)
    assert "出行方便多了" in editor.get("/newsroom/comments/").content.decode()
    editor.post("/newsroom/comments/", {"comment": comment.pk, "action": "approve"})
    editor.post(
        "/newsroom/comments/",
        {"comment": comment.pk, "action": "reply", "reply": "感谢关注，末班车延至23点。"},
    )
    shown = fragment(article)
    assert "出行方便多了" in shown and "官方回复" in shown and "末班车延至23点" in shown

    for n in range(3):
        Client().post(
            f"/comments/report/{comment.pk}/",
            {"reason": "广告"},
            HTTP_ORIGIN=SITE,
            REMOTE_ADDR=f"10.0.0.{n}",
        )
    again = Client().post(
        f"/comments/report/{comment.pk}/", HTTP_ORIGIN=SITE, REMOTE_ADDR="10.0.0.0"
    )
    assert again.status_code == 404  # hidden after three networks reported it
    comment.refresh_from_db()
    assert (comment.status, comment.reports) == (Comment.Status.PENDING, 3)
    assert "出行方便多了" not in fragment(article)


def test_forged_moderation_changes_nothing(article):
    post(article)
    comment = Comment.objects.get()
    assert (
        Client()
        .post("/newsroom/comments/", {"comment": comment.pk, "action": "approve"})
        .status_code
        == 302
    )
    assert (
        moderator(Role.REPORTER)
        .post("/newsroom/comments/", {"comment": comment.pk, "action": "approve"})
        .status_code
        == 403
    )
    strict = Client(enforce_csrf_checks=True)
    editor_user = User.objects.create_user("csrf-editor")
    editor_user.groups.add(Group.objects.get(name=GROUPS[Role.EDITOR]))
    strict.force_login(editor_user)
    assert (
        strict.post("/newsroom/comments/", {"comment": comment.pk, "action": "approve"}).status_code
        == 403
    )
    editor = moderator(Role.EDITOR)
    assert (
        editor.post("/newsroom/comments/", {"comment": "abc", "action": "approve"}).status_code
        == 404
    )
    odd = editor.post(
        "/newsroom/comments/", {"comment": comment.pk, "action": "explode"}, follow=True
    )
    assert "没有这个操作" in odd.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_the_dashboard_links_the_queue_for_those_who_may_moderate_only():
    link = 'href="/newsroom/comments/"'
    assert link in moderator(Role.EDITOR).get("/newsroom/").content.decode()
    assert link not in moderator(Role.REPORTER).get("/newsroom/").content.decode()
