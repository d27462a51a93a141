"""The 公众号 outlet against a local server that answers as WeChat's documentation says
(token, uploadimg, add_material, draft/add, freepublish/submit and get), its errors
included: 40001, 45009, 40007, and a reply that is not JSON."""

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image as PILImage

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.tasks import run_pending
from citydesk.core.testing import QuietHandler, http_server
from citydesk.distribution import actions as distribution
from citydesk.distribution import queries
from citydesk.distribution.actions import DistributionRefused
from citydesk.distribution.models import Distribution
from citydesk.distribution.tasks import wechat_follow, wechat_prepare

pytestmark = pytest.mark.django_db
APP_ID, SECRET = "wx0123456789abcdef", "s" * 32


class Wechat:
    """The local server's state: tokens issued, calls seen, and replies to give instead
    of the documented ones (`refuse`, by path)."""

    def __init__(self) -> None:
        self.issued = 0
        self.calls: list[tuple[str, bytes]] = []
        self.refuse: dict[str, list[Any]] = {}
        self.statuses = [0]  # freepublish/get's publish_status, one per call

    @property
    def token(self) -> str:
        return f"TOKEN-{self.issued}"

    def reply(self, path: str, query: dict[str, str], body: bytes) -> Any:
        self.calls.append((path, body))
        if self.refuse.get(path):
            return self.refuse[path].pop(0)
        if path == "/cgi-bin/token":
            self.issued += 1
            return {"access_token": self.token, "expires_in": 7200}
        if query.get("access_token") != self.token:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if path == "/cgi-bin/media/uploadimg":
            # A JPEG within 1 MB, whatever the site stores.
            assert b'name="media"' in body and b"\xff\xd8\xff" in body
            assert len(body) <= 1024 * 1024 + 1000
            return {"url": f"http://mmbiz.qpic.cn/pic/{len(self.calls)}/0"}
        if path == "/cgi-bin/material/add_material":
            assert query.get("type") == "image" and b'name="media"' in body
            return {"media_id": "THUMB-1", "url": "http://mmbiz.qpic.cn/thumb/0"}
        if path == "/cgi-bin/draft/add":
            sent = json.loads(body)["articles"][0]
            assert sent["thumb_media_id"] == "THUMB-1"
            return {"media_id": "DRAFT-1"}
        if path == "/cgi-bin/freepublish/submit":
            assert json.loads(body) == {"media_id": "DRAFT-1"}
            return {"errcode": 0, "errmsg": "ok", "publish_id": "2247483666"}
        if path == "/cgi-bin/freepublish/get":
            status = self.statuses.pop(0)
            reply: dict[str, Any] = {"publish_id": "2247483666", "publish_status": status}
            if status == 0:
                reply |= {
                    "article_id": "ARTICLE-1",
                    "article_detail": {
                        "count": 1,
                        "item": [{"idx": 1, "article_url": "https://mp.weixin.qq.com/s/abc"}],
                    },
                }
            return reply
        return {"errcode": 40066, "errmsg": "invalid url"}

    def drafts(self) -> list[dict[str, Any]]:
        return [json.loads(b)["articles"][0] for p, b in self.calls if p == "/cgi-bin/draft/add"]


@pytest.fixture
def wechat(settings) -> Iterator[Wechat]:
    state = Wechat()

    class Handler(QuietHandler):
        def answer(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            reply = state.reply(parts.path, query, body)
            data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.answer(b"")

        def do_POST(self) -> None:
            self.answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    with http_server(Handler) as base:
        settings.CITYDESK_WECHAT_APP_ID = APP_ID
        settings.CITYDESK_WECHAT_APP_SECRET = SECRET
        settings.CITYDESK_WECHAT_API_URL = base
        cache.clear()
        yield state
    cache.clear()


def jpeg() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (400, 300), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def published() -> Article:
    picture = actions.create_image("river.jpg", jpeg(), caption="运河夜景")
    article = actions.create_article(
        ArticleData(
            title="运河夜航首日",
            summary="游船从今晚起夜航。",
            body=[
                {"type": "heading", "text": "夜色里的古运河"},
                {"type": "paragraph", "text": "夜航船 <满座> & 准点。"},
                {"type": "image", "image_id": picture.pk},
                {"type": "image", "src": "https://elsewhere.example.cn/x.jpg"},
                {"type": "video", "src": "https://v.example.cn/a.mp4"},
            ],
            credits=[("writer", "沈清")],
            channels=["suzhou"],
            published_at=timezone.now() - timedelta(minutes=1),
        ),
        status=Article.Status.PUBLISHED,
    )
    actions.set_article_cover(article, "cover.jpg", jpeg())
    return Article.objects.get(pk=article.pk)


def delivery() -> Distribution:
    return Distribution.objects.get(outlet=Distribution.Outlet.WECHAT)


def test_from_draft_to_published_in_the_wechat_subset(wechat):
    article = published()
    before = (article.version, article.updated_at)
    distribution.draft_for_wechat(article, requested_by="张总")
    run_pending()
    assert (delivery().state, delivery().remote["media_id"]) == ("drafted", "DRAFT-1")
    (draft,) = wechat.drafts()
    assert draft["title"] == "运河夜航首日" and draft["author"] == "沈清"
    assert draft["digest"] == "游船从今晚起夜航。"
    assert draft["content_source_url"].endswith(f"/a/{article.pk}/")
    content = draft["content"]
    assert "<p><strong>夜色里的古运河</strong></p>" in content
    assert "<p>夜航船 &lt;满座&gt; &amp; 准点。</p>" in content
    assert '<img src="http://mmbiz.qpic.cn/pic/' in content  # uploaded, at WeChat's URL
    assert "运河夜景" in content and "elsewhere.example.cn" not in content
    assert "视频请在网站观看" in content
    uploads = [p for p, _ in wechat.calls if p.startswith("/cgi-bin/m")]
    assert uploads == ["/cgi-bin/material/add_material", "/cgi-bin/media/uploadimg"]
    # Chinese goes as UTF-8: WeChat would store \\u escapes as they are.
    raw = next(b for p, b in wechat.calls if p == "/cgi-bin/draft/add")
    assert "运河夜航首日".encode() in raw

    wechat.statuses = [1, 0]  # still publishing when first asked
    distribution.publish_on_wechat(article)
    run_pending()
    assert delivery().state == "submitted"  # asked once: 1, asked again after a delay
    wechat_follow.call(distribution_id=delivery().pk)
    assert delivery().state == "published"
    assert delivery().remote["article_url"] == "https://mp.weixin.qq.com/s/abc"
    assert (Article.objects.get(pk=article.pk).version, article.updated_at) == before


def test_an_expired_token_is_fetched_anew_once(wechat):
    article = published()
    wechat.refuse["/cgi-bin/material/add_material"] = [{"errcode": 40001, "errmsg": "expired"}]
    distribution.draft_for_wechat(article)
    run_pending()
    assert delivery().state == "drafted" and wechat.issued == 2


def test_the_quota_fails_the_step_with_its_reason_and_the_retry_goes_on(wechat):
    article = published()
    wechat.refuse["/cgi-bin/draft/add"] = [
        {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
    ]
    distribution.draft_for_wechat(article)
    run_pending()
    found = delivery()
    assert "45009" in found.error and "今日接口调用次数" in found.error
    assert found.state == "queued"  # back where the step starts, for the policy's retry
    from citydesk.distribution.tasks import wechat_draft

    wechat_draft.call(distribution_id=found.pk)  # the retry, when it comes due
    assert delivery().state == "drafted"


def test_invalid_media_and_replies_that_are_not_json(wechat):
    article = published()
    distribution.draft_for_wechat(article)
    run_pending()
    wechat.refuse["/cgi-bin/freepublish/submit"] = [
        {"errcode": 40007, "errmsg": "invalid media_id"}
    ]
    distribution.publish_on_wechat(article)
    run_pending()
    assert delivery().state == "failed" and "40007" in delivery().error
    with pytest.raises(DistributionRefused, match="请先生成公众号草稿"):
        distribution.publish_on_wechat(article)
    wechat.refuse["/cgi-bin/material/add_material"] = [b"<html>502 Bad Gateway</html>"]
    distribution.draft_for_wechat(article)  # 重新生成草稿
    run_pending()
    assert "not JSON" in delivery().error and delivery().state == "queued"
    wechat_prepare.call(distribution_id=delivery().pk)
    run_pending()
    assert delivery().state == "drafted" and delivery().error == ""


def test_a_failed_publication_says_why(wechat):
    article = published()
    distribution.draft_for_wechat(article)
    run_pending()
    wechat.statuses = [4]
    distribution.publish_on_wechat(article)
    run_pending()
    assert delivery().state == "failed" and "平台审核不通过" in delivery().error


def test_a_piece_without_any_picture_is_refused_with_a_reason(wechat):
    article = actions.create_article(
        ArticleData(title="无图稿件", body=[{"type": "paragraph", "text": "正文"}],
                    published_at=timezone.now() - timedelta(minutes=1)),
        status=Article.Status.PUBLISHED,
    )  # fmt: skip
    distribution.draft_for_wechat(article)
    run_pending()
    assert delivery().state == "failed" and "需要一张封面" in delivery().error


def test_retraction_reminds_the_editor_to_take_it_down(wechat):
    article = published()
    distribution.draft_for_wechat(article)
    run_pending()
    distribution.publish_on_wechat(article)
    run_pending()
    assert delivery().state == "published"
    assert [s.take_down for s in queries.states(article)] == [False]
    actions.do_retract_article(Article.objects.get(pk=article.pk))
    retracted = Article.objects.get(pk=article.pk)
    assert [s.take_down for s in queries.states(retracted)] == [True]
    with pytest.raises(DistributionRefused):
        distribution.draft_for_wechat(retracted)


def test_only_a_configured_account_is_offered(settings):
    settings.CITYDESK_WECHAT_APP_ID = ""
    assert Distribution.Outlet.WECHAT not in distribution.outlets()
    with pytest.raises(DistributionRefused, match="没有配置公众号"):
        distribution.draft_for_wechat(published())


def test_the_editor_drafts_publishes_and_is_reminded_after_retraction(wechat):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    article = published()
    chief = User.objects.create_user("签发乙")
    chief.groups.add(Group.objects.get(name="签发编辑"))
    client = Client()
    client.force_login(chief)
    edit, distribute = f"/newsroom/a/{article.pk}/edit/", f"/newsroom/a/{article.pk}/distribute/"
    assert "公众号：未发送" in client.get(edit).content.decode()
    client.post(distribute, {"outlet": "wechat", "do": "draft"})
    run_pending()
    page = client.get(edit).content.decode()
    assert "已存公众号草稿" in page and 'value="publish"' in page
    client.post(distribute, {"outlet": "wechat", "do": "publish"})
    run_pending()
    page = client.get(edit).content.decode()
    assert "公众号已发布" in page and "https://mp.weixin.qq.com/s/abc" in page
    assert client.post(distribute, {"do": "delete-everything"}).status_code == 400
    actions.do_retract_article(Article.objects.get(pk=article.pk))
    assert "请在公众号后台删除这篇文章" in client.get(edit).content.decode()


def test_no_second_publication_and_no_endless_waiting(wechat):
    from citydesk.distribution.tasks import STEP_ATTEMPTS, wechat_draft

    article = published()
    distribution.draft_for_wechat(article)
    run_pending()
    distribution.publish_on_wechat(article)
    with pytest.raises(DistributionRefused, match="请先生成公众号草稿"):
        distribution.publish_on_wechat(article)  # a second click: on its way already
    with pytest.raises(DistributionRefused, match="不能重新生成草稿"):
        distribution.draft_for_wechat(article)
    run_pending()
    assert delivery().state == "published"
    with pytest.raises(DistributionRefused, match="公众号已发布"):
        distribution.draft_for_wechat(article)
    assert [p for p, _ in wechat.calls].count("/cgi-bin/freepublish/submit") == 1

    # A step that keeps failing fails the delivery after its last attempt.
    other = published()
    distribution.draft_for_wechat(other)
    wechat.refuse["/cgi-bin/draft/add"] = [{"errcode": -1, "errmsg": "system error"}] * 9
    run_pending()
    found = Distribution.objects.get(article=other)
    assert found.state == "queued" and found.remote["failures"] == 1
    for _ in range(STEP_ATTEMPTS - 1):
        with pytest.raises(Exception):  # noqa: B017 - the retry's own failure
            wechat_draft.call(distribution_id=found.pk)
    found.refresh_from_db()
    assert found.state == "failed" and "system error" in found.error
