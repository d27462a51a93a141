import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PILImage

from citydesk.content import queries
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Image,
    LiveCoverage,
    Person,
    Tag,
    Topic,
    TopicArticle,
)
from citydesk.demo import images
from citydesk.rankings import queries as rankings
from citydesk.recommend import queries as recommend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    # The real hasher costs most of a second per login check; the demo's logic is the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def printed_password(output: str, username: str) -> str:
    match = re.search(rf"用户名 {username}\s+密码 (\S+)", output)
    assert match, output
    return match.group(1)


def media_path(url: str) -> Path:
    assert url.startswith(django_settings.MEDIA_URL), url
    return Path(django_settings.MEDIA_ROOT) / url.removeprefix(django_settings.MEDIA_URL)


def test_demo_builds_a_full_current_site():
    run_demo()
    live = list(queries.live())
    assert len(live) >= 40

    for channel in Channel.objects.filter(in_nav=True):
        if channel.kind == Channel.Kind.TOPICS:
            continue
        assert queries.channel_articles(channel).exists(), channel.slug
    rolling = Channel.objects.get(kind=Channel.Kind.ROLLING)
    assert queries.channel_articles(rolling).count() == len(live)

    now = timezone.now()
    assert all(a.published_at and now - timedelta(days=10) < a.published_at <= now for a in live)
    assert Article.objects.filter(is_headline=True).count() == 1
    assert queries.headline() is not None
    assert len(queries.slideshow(limit=20)) >= 4
    assert len(recommend.picks(limit=20)) >= 8
    assert Article.objects.filter(is_pinned=True).count() >= 2
    # Readers' views are in the rankings: 热点排行 ranks ten, by different counts.
    assert len({r.views for r in rankings.hot("month")}) == 10

    for article in live:
        assert article.responsible_editor is not None, article.title
        assert article.source and article.summary and article.tags.exists(), article.title
        assert article.credits.filter(role=ArticleCredit.Role.WRITER).exists(), article.title
        assert sum(b["type"] == "paragraph" for b in article.body) >= 3, article.title


def test_demo_topics_keep_their_order_and_a_normal_channel():
    run_demo()
    topics = list(queries.topics())
    assert len(topics) == 2
    for topic in topics:
        assert topic.intro and topic.cover
        assert media_path(topic.cover.url).exists()
        ordered = list(
            TopicArticle.objects.filter(topic=topic)
            .order_by("position")
            .values_list("article_id", flat=True)
        )
        assert len(ordered) >= 4
        assert [a.pk for a in queries.topic_articles(topic)] == ordered
        for article in queries.topic_articles(topic):
            assert article.channels.filter(kind=Channel.Kind.LIST).exists()


def test_demo_covers_a_running_race_live():
    run_demo()
    coverage = LiveCoverage.objects.get()
    assert coverage.state() == LiveCoverage.State.LIVE and coverage.article.is_live
    posted = list(coverage.updates.order_by("posted_at").values_list("posted_at", flat=True))
    assert len(posted) == 9 and coverage.updates.filter(pinned=True).count() == 1
    # Posted as they happened, over an hour and a half, the newest before now.
    assert coverage.starts_at <= posted[0] < posted[-1] <= timezone.now()
    assert posted[-1] - posted[0] > timedelta(hours=1)
    run_demo()  # a second run adds no second coverage and no updates
    assert LiveCoverage.objects.count() == 1 and coverage.updates.count() == 9


def test_demo_has_a_three_page_article_with_credited_pictures():
    run_demo()
    long_reads = [a for a in queries.live() if a.page_count == 3]
    assert long_reads
    article = long_reads[0]
    for page in article.pages():
        assert any(b["type"] == "heading" for b in page)
        pictures = [b for b in page if b["type"] == "image"]
        assert pictures
        for block in pictures:
            image = Image.objects.get(pk=block["image_id"])
            assert block["src"] == image.file.url
            assert block["caption"] and block["credit"] == image.credit
    assert article.credits.filter(role=ArticleCredit.Role.PHOTOGRAPHER).count() >= 2


def test_demo_pictures_are_real_jpeg_files():
    run_demo()
    assert Image.objects.count() >= 30
    for image in Image.objects.all():
        with PILImage.open(image.file.path) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (image.width, image.height) == (images.WIDTH, images.HEIGHT)
    covers = [a.cover for a in Article.objects.exclude(cover="")]
    assert len(covers) >= 40
    for cover in covers:
        with PILImage.open(cover.path) as picture:
            picture.verify()


def test_demo_videos_fill_the_video_channel():
    run_demo()
    videos = list(Article.objects.filter(kind=Article.Kind.VIDEO))
    assert len(videos) >= 3
    shipin = Channel.objects.get(slug="shipin")
    assert set(queries.channel_articles(shipin)) == set(videos)
    for article in videos:
        block = next(b for b in article.body if b["type"] == "video")
        assert block["caption"]
        assert media_path(block["poster"]).exists()
        if images.video_supported():
            import av

            with av.open(str(media_path(block["src"]))) as clip:
                stream = clip.streams.video[0]
                assert stream.codec_context.name == "h264"
                assert sum(1 for _ in clip.decode(stream)) >= 24
        else:
            assert "src" not in block


def test_demo_people_have_pages_and_credits():
    run_demo()
    credited = Person.objects.filter(credits__isnull=False).distinct()
    assert credited.count() >= 8
    for person in credited:
        assert person.organization and person.title and person.bio, person.name
        assert queries.person_articles(person).exists()
    editors = Person.objects.filter(edited_articles__isnull=False).distinct()
    assert editors.count() >= 3
    assert all(e.bio for e in editors)


def test_second_run_adds_nothing_and_the_login_stays_the_same():
    first = run_demo()
    models: list[Any] = [Article, Image, Topic, TopicArticle, Person, Tag, ArticleCredit, User]
    counts = {m.__name__: m.objects.count() for m in models}
    files = sorted(p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file())

    second = run_demo()

    assert {m.__name__: m.objects.count() for m in models} == counts
    assert sorted(p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files
    assert printed_password(second, "editor") == printed_password(first, "editor")
    assert "新建 0 篇文章" in second


def test_printed_editor_login_opens_the_newsroom(client):
    output = run_demo()
    assert "http://127.0.0.1:8000/admin/" in output
    password = printed_password(output, "editor")
    assert password in (Path(django_settings.DATA_DIR) / "demo-login.txt").read_text()

    signed_in = client.post("/newsroom/login/", {"username": "editor", "password": password})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/newsroom/"
    assert client.get("/newsroom/").status_code == 200
    assert client.get("/admin/content/article/add/").status_code == 200
    assert client.get("/admin/content/topic/add/").status_code == 200
    # An editor, not a superuser: the user list is not theirs to see.
    assert client.get("/admin/auth/user/").status_code == 403

    client.logout()
    admin_password = printed_password(output, "admin")
    signed_in = client.post("/admin/login/", {"username": "admin", "password": admin_password})
    assert signed_in.status_code == 302
    assert client.get("/admin/auth/user/").status_code == 200


def test_the_plan_and_pay_pages_have_something_to_show(client):
    from citydesk.newsroom.models import Assignment, Proposal
    from citydesk.pay.models import RateTable

    output = run_demo()
    run_demo()  # a second run adds nothing
    assert RateTable.objects.count() == 1
    assert sorted(Proposal.objects.values_list("status", flat=True)) == ["approved", "proposed"]
    assignment = Assignment.objects.get()
    assert assignment.person.username == "editor" and assignment.deadline > timezone.now()

    password = printed_password(output, "editor")
    client.post("/newsroom/login/", {"username": "editor", "password": password})
    plan = client.get("/newsroom/plan/").content.decode()
    assert "古城区老旧小区加装电梯进展调查" in plan and "环古城河健身步道夜间照明改造" in plan
    # The demo's bylines earn something under the rate table.
    from citydesk.pay.report import report

    today = timezone.localdate()
    assert sum(line.amount for line in report(today - timedelta(days=365), today)) > 0
    assert client.get("/newsroom/pay/").status_code == 200


def test_an_admin_made_before_the_demo_keeps_its_password(client):
    User.objects.create_superuser("admin", password="owner-chosen-1")
    output = run_demo()
    assert "用户名 admin  密码" not in output
    signed_in = client.post("/admin/login/", {"username": "admin", "password": "owner-chosen-1"})
    assert signed_in.status_code == 302


def test_pictures_are_reproducible_and_varied():
    first = images.render("watertown", "dusk", 7)
    assert first.tobytes() == images.render("watertown", "dusk", 7).tobytes()
    assert first.tobytes() != images.render("watertown", "dusk", 8).tobytes()
    assert first.tobytes() != images.render("watertown", "night", 7).tobytes()
