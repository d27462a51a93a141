"""Never stale: after each kind of change, every cached page that showed the changed
content is gone and renders anew with the change, and every other cached page stays.

Pages are rendered and cached the way readers get them (the test client through the page
cache middleware); changes are made through the newsroom's actions or its admin, with
their after-commit announcements run, as in production.
"""

import logging
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django import forms
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from citydesk.content import actions, signals
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel, Person, Tag
from citydesk.core.testing import announced
from citydesk.portal.tests.sitedata import BASE_TIME, Site, build_site, para
from citydesk.publishing import tasks
from citydesk.publishing.cache import PageCache

pytestmark = pytest.mark.django_db

MONTH_SITEMAP = "/sitemaps/articles-2024-03.xml"  # the month the site's articles went out


@pytest.fixture
def site(settings) -> Site:
    settings.CITYDESK_PAGE_SIZE = 5  # lists of several pages each
    return build_site()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Make a change and run what its commit triggers (the purge)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


@pytest.fixture
def editor(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("chief", password="x"))
    return client


class Pages:
    """Cached pages and what they held, to compare after a change."""

    def __init__(self, client: Client, urls: list[str]) -> None:
        self.client = client
        self.bodies: dict[str, bytes] = {}
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = cached(url)
            assert body == response.content, f"{url} was not cached"
            self.bodies[url] = body

    def refreshed(self, url: str, *, status: int = 200) -> str:
        """`url` was purged; its page as it renders now."""
        assert cached(url) is None, f"{url} still serves its stale copy"
        response = self.client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert response.content != self.bodies[url], f"{url} did not change"
        return response.content.decode()

    def assert_kept(self, urls: list[str]) -> None:
        for url in urls:
            assert cached(url) == self.bodies[url], f"{url} was purged needlessly"


def cached(url: str) -> bytes | None:
    # The cache is keyed by the decoded path (request.path), links are percent-encoded.
    return PageCache().read(unquote(url))


def url_of(model, **lookup) -> str:
    return model.objects.get(**lookup).get_absolute_url()


def admin_change(editor: Client, obj, **changes) -> None:
    """Submit `obj`'s admin change form as an editor would, with `changes` typed in."""
    url = reverse(f"admin:content_{obj._meta.model_name}_change", args=[obj.pk])
    response = editor.get(url)
    assert response.status_code == 200
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(form_data(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(form_data(form))
    data.update(changes)
    response = editor.post(url, data)
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )


def form_data(form: forms.BaseForm) -> dict:
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, forms.MultiWidget):
            parts = field.widget.decompress(value) or []
            for n, (widget, part) in enumerate(zip(field.widget.widgets, parts, strict=True)):
                data[f"{key}_{n}"] = widget.format_value(part) or ""
        elif isinstance(field, forms.FileField):
            continue
        elif isinstance(value, list | tuple):
            data[key] = [getattr(v, "pk", v) for v in value]
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = getattr(value, "pk", value)
    return data


def list_pages(url: str, count: int) -> list[str]:
    return [url] + [f"{url}page/{n}/" for n in range(2, count + 1)]


# Articles ------------------------------------------------------------------------------


def test_publishing_refreshes_every_page_that_lists_the_article(client, site, committed):
    draft = actions.create_article(
        ArticleData(
            title="运河夜游线路今晚开通",
            body=[para("夜游正文。")],
            channels=["suzhou"],
            credits=[("writer", "李明")],
            tags=["城市更新"],
        )
    )
    renewal = url_of(Tag, name="城市更新")
    shows = [
        "/",
        "/gundong/",
        "/suzhou/",
        renewal,
        site.writer.get_absolute_url(),
        "/rss.xml",
        "/atom.xml",
        "/gundong/rss.xml",
        "/suzhou/atom.xml",
        MONTH_SITEMAP,
    ]
    shifted = ["/gundong/page/2/", "/gundong/page/5/", "/suzhou/page/2/", f"{renewal}page/2/"]
    also_stale = ["/sitemap.xml"]  # each month's last change
    kept = [
        "/guonei/",
        url_of(Tag, name="街区1") + "page/2/",
        "/chengshi/",
        site.feature.get_absolute_url(),
        site.paged.get_absolute_url(),
        site.photographer.get_absolute_url(),
        url_of(Tag, name="古城保护"),
        "/zhuanti/",
        site.topic.get_absolute_url(),
        "/about/",
        "/guonei/rss.xml",
        site.topic.get_absolute_url() + "rss.xml",
        "/sitemaps/news.xml",  # it went out in March 2024, not in the last 48 hours
        "/sitemaps/pages.xml",  # lists the lists, without dates
    ]
    pages = Pages(client, shows + shifted + also_stale + kept)

    # Backdated to just after the newest article, so that it leads every list.
    committed(actions.do_publish_article, draft, at=BASE_TIME + timedelta(minutes=5))

    for url in shows:
        html = pages.refreshed(url)
        # Pages show its title; the month's sitemap lists its address.
        assert draft.title in html or draft.get_absolute_url() in html, url
    for url in shifted + also_stale:
        pages.refreshed(url)
    pages.assert_kept(kept)
    assert client.get(draft.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("action", [actions.do_unpublish_article, actions.do_retract_article])
def test_taking_an_article_down_removes_it_from_every_page(client, site, committed, action):
    article = site.feature  # suzhou; 李明 王芳/文 张伟/摄, 责编 陈静; two tags; in the topic
    people = [Person.objects.get(name=n).get_absolute_url() for n in ("李明", "王芳", "张伟")]
    topic = site.topic.get_absolute_url()
    shows = [
        "/",
        "/gundong/",
        "/suzhou/",
        *people,
        site.editor.get_absolute_url(),
        url_of(Tag, name="古城保护"),
        url_of(Tag, name="城市更新"),
        topic,
        topic + "rss.xml",
        "/rss.xml",
        "/suzhou/rss.xml",
        MONTH_SITEMAP,
    ]
    shifted = ["/gundong/page/2/", "/gundong/page/5/", url_of(Tag, name="城市更新") + "page/2/"]
    kept = [
        "/guonei/",
        "/chengshi/",
        "/zhuanti/",
        site.paged.get_absolute_url(),
        site.paged.page_url(2),
        site.fillers[1].credits.get(role="writer").person.get_absolute_url(),
        url_of(Tag, name="街区2"),
        "/about/",
        "/chengshi/rss.xml",
    ]
    pages = Pages(client, [article.get_absolute_url(), "/suzhou/page/2/", *shows, *shifted, *kept])

    committed(action, article)

    # 撤稿 leaves a tombstone at the address (410, never cached); 撤下 is a plain 404.
    gone = 410 if action is actions.do_retract_article else 404
    assert article.title not in pages.refreshed(article.get_absolute_url(), status=gone)
    assert cached(article.get_absolute_url()) is None
    pages.refreshed("/suzhou/page/2/", status=404)  # 苏州 now fits on one page
    for url in shows:
        assert article.title not in pages.refreshed(url), url
        assert article.get_absolute_url() not in client.get(url).content.decode(), url
    for url in shifted:
        pages.refreshed(url)
    pages.assert_kept(kept)


def test_editing_an_article_refreshes_the_pages_it_left_and_joined(client, site, editor, committed):
    article = site.paged  # 城事, three pages; 李明/文 赵磊/视频编辑, 责编 陈静
    new_title = "一年来城市建设十件大事（更新）"
    shows = ["/", "/gundong/", "/chengshi/", "/guonei/"]
    shows += [site.writer.get_absolute_url(), site.editor.get_absolute_url()]
    shows += [url_of(Person, name="赵磊"), url_of(Tag, name="城市更新"), "/rss.xml"]
    kept = [
        "/suzhou/",
        "/pinglun/",
        site.feature.get_absolute_url(),
        site.photographer.get_absolute_url(),
        url_of(Tag, name="古城保护"),
        "/zhuanti/",
        "/suzhou/rss.xml",
    ]
    article_pages = [article.get_absolute_url(), article.page_url(2), article.page_url(3)]
    pages = Pages(client, article_pages + shows + kept)

    # Retitled, moved from 城事 to 国内, and cut to one page.
    guonei = Channel.objects.get(slug="guonei")
    committed(
        admin_change, editor, article, title=new_title, channels=[guonei.pk], body_text="只剩一页。"
    )

    assert new_title in pages.refreshed(article.get_absolute_url())
    pages.refreshed(article.page_url(2), status=404)  # the page count shrank
    pages.refreshed(article.page_url(3), status=404)
    for url in shows:
        html = pages.refreshed(url)
        assert (new_title in html) == (url != "/chengshi/"), url
    pages.assert_kept(kept)


def test_a_scheduled_article_goes_on_every_page_when_its_time_comes(client, site, committed):
    draft = actions.create_article(
        ArticleData(
            title="明早八点：环古城河健身步道开放", body=[para("步道。")], channels=["suzhou"]
        )
    )
    shows = ["/", "/gundong/", "/suzhou/", "/rss.xml", "/suzhou/rss.xml"]
    pages = Pages(client, [*shows, "/guonei/"])

    at = timezone.now() + timedelta(hours=1)
    committed(actions.do_publish_article, draft, at=at)  # scheduled: nothing changes yet
    pages.assert_kept([*shows, "/guonei/"])

    # The worker's action, run by a clock the test controls.
    assert committed(actions.publish_due_articles, at + timedelta(seconds=1)) == [draft.pk]
    for url in shows:
        assert draft.title in pages.refreshed(url), url
    pages.assert_kept(["/guonei/"])


def test_deleting_an_article_in_the_admin_purges_its_pages(client, site, editor, committed):
    article = site.paged
    pages = Pages(
        client, [article.get_absolute_url(), article.page_url(3), "/chengshi/", "/suzhou/"]
    )
    url = reverse("admin:content_article_delete", args=[article.pk])
    response = committed(editor.post, url, {"post": "yes"})
    assert response.status_code == 302
    pages.refreshed(article.get_absolute_url(), status=404)
    pages.refreshed(article.page_url(3), status=404)
    assert article.title not in pages.refreshed("/chengshi/")
    pages.assert_kept(["/suzhou/"])


def test_a_bulk_import_refreshes_the_lists_of_its_articles(client, site, committed):
    pages = Pages(
        client, ["/", "/gundong/", "/guonei/", "/suzhou/", site.feature.get_absolute_url()]
    )
    imported = [
        actions.create_article(
            ArticleData(title=f"导入稿件第{n}篇", body=[para("导入。")], channels=["guonei"]),
            status=Article.Status.PUBLISHED,
        )
        for n in range(2)
    ]
    ids = [a.pk for a in imported]
    committed(tasks.purge_new_articles.call, article_ids=ids)
    for url in ["/", "/gundong/", "/guonei/"]:
        assert imported[1].title in pages.refreshed(url), url
    pages.assert_kept(["/suzhou/", site.feature.get_absolute_url()])


def test_a_failing_remote_backend_never_stops_the_publish(
    client, site, committed, settings, caplog
):
    settings.PURGE_BACKENDS = [
        {
            "BACKEND": "citydesk.publishing.backends.http.HttpPurgeBackend",
            # Nothing listens on port 9 (discard) here: the connection is refused.
            "OPTIONS": {"SERVERS": ["http://127.0.0.1:9"], "TIMEOUT": 1},
        },
        {"BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend"},
    ]
    pages = Pages(client, ["/", "/suzhou/"])
    with caplog.at_level(logging.WARNING, logger="citydesk.publishing.purge"):
        committed(actions.do_unpublish_article, site.feature)
    assert "HttpPurgeBackend" in caplog.text
    site.feature.refresh_from_db()
    assert site.feature.status == Article.Status.UNPUBLISHED
    assert site.feature.title not in pages.refreshed("/")
    # The purge waits to be retried, with the reason, until the remote one takes it.
    (waiting,) = DBTaskResult.objects.filter(
        task_path=tasks.purge_article_change.module_path, status="READY"
    ).exclude(traceback="")
    assert "HttpPurgeBackend" in waiting.traceback


# Channels, topics, people and tags ------------------------------------------------------


def test_a_channel_description_refreshes_that_channels_pages_only(client, site, editor, committed):
    suzhou = Channel.objects.get(slug="suzhou")
    own = [*list_pages("/suzhou/", 2), "/suzhou/rss.xml"]  # the feed describes the channel
    kept = ["/", "/guonei/", "/gundong/", site.feature.get_absolute_url(), "/guonei/rss.xml"]
    pages = Pages(client, own + kept)
    committed(admin_change, editor, suzhou, description="姑苏城内外的新鲜事")
    for url in own:
        assert "姑苏城内外的新鲜事" in pages.refreshed(url), url
    pages.assert_kept(kept)


def test_renaming_a_nav_channel_refreshes_every_page_showing_the_nav(
    client, site, editor, committed
):
    html_pages = [
        "/",
        "/suzhou/",
        "/suzhou/page/2/",
        "/guonei/",
        site.feature.get_absolute_url(),
        site.paged.page_url(2),
        site.writer.get_absolute_url(),
        url_of(Tag, name="古城保护"),
        "/zhuanti/",
        site.topic.get_absolute_url(),
        "/about/",
    ]
    kept = ["/rss.xml", "/suzhou/rss.xml", "/sitemaps/pages.xml", MONTH_SITEMAP]
    pages = Pages(client, html_pages + kept)
    committed(admin_change, editor, Channel.objects.get(slug="guonei"), name="国内要闻")
    for url in html_pages:
        nav = re.search(r'<nav class="channels".*?</nav>', pages.refreshed(url), re.S)
        assert nav and ">国内要闻</a>" in nav.group(0), url
    pages.assert_kept(kept)


def test_a_topic_edit_refreshes_its_page_the_topic_list_and_home(client, site, editor, committed):
    topic = site.topic
    shows = [topic.get_absolute_url(), "/zhuanti/", "/"]
    kept = [
        site.feature.get_absolute_url(),
        "/suzhou/",
        "/gundong/",
        site.writer.get_absolute_url(),
    ]
    pages = Pages(client, shows + kept)
    committed(admin_change, editor, topic, title="江南文化季·第二季")
    for url in shows:
        assert "江南文化季·第二季" in pages.refreshed(url), url
    pages.assert_kept(kept)


def test_a_new_topic_appears_on_the_topic_list_and_home(client, site, committed):
    pages = Pages(client, ["/zhuanti/", "/", site.feature.get_absolute_url(), "/suzhou/"])
    committed(actions.create_topic, "运河申遗十周年", [site.feature])
    for url in ["/zhuanti/", "/"]:
        assert "运河申遗十周年" in pages.refreshed(url), url
    pages.assert_kept([site.feature.get_absolute_url(), "/suzhou/"])


def test_a_new_bio_refreshes_the_persons_page_only(client, site, committed):
    writer = site.writer.get_absolute_url()
    kept = ["/", "/suzhou/", site.feature.get_absolute_url(), site.paged.get_absolute_url()]
    pages = Pages(client, [writer, *kept])
    committed(actions.set_person_profile, site.writer, bio="三十年跑遍古城街巷。")
    assert "三十年跑遍古城街巷" in pages.refreshed(writer)
    pages.assert_kept(kept)


def test_renaming_a_person_refreshes_the_pages_naming_them(client, site, editor, committed):
    person = Person.objects.get(name="王芳")  # writes the feature, and nothing else
    shows = [person.get_absolute_url(), site.feature.get_absolute_url(), "/rss.xml", "/atom.xml"]
    kept = ["/", "/suzhou/", site.paged.get_absolute_url(), site.writer.get_absolute_url()]
    pages = Pages(client, shows + kept)
    committed(admin_change, editor, person, name="王方")
    for url in shows:
        assert "王方" in pages.refreshed(url), url  # a feed names its items' writers
    pages.assert_kept(kept)


def test_renaming_a_tag_refreshes_its_page_and_the_articles_showing_it(
    client, site, editor, committed
):
    tag = Tag.objects.get(name="古城保护")
    shows = [tag.get_absolute_url(), site.feature.get_absolute_url()]
    kept = ["/", "/suzhou/", site.paged.get_absolute_url(), url_of(Tag, name="城市更新")]
    pages = Pages(client, shows + kept)
    committed(admin_change, editor, tag, name="古城保护更新")
    for url in shows:
        assert "古城保护更新" in pages.refreshed(url), url
    pages.assert_kept(kept)


def test_deleting_a_tag_refreshes_its_page_and_the_articles_showing_it(
    client, site, editor, committed
):
    tag = Tag.objects.get(name="古城保护")
    kept = ["/", "/suzhou/", site.paged.get_absolute_url()]
    pages = Pages(client, [tag.get_absolute_url(), site.feature.get_absolute_url(), *kept])
    url = reverse("admin:content_tag_delete", args=[tag.pk])
    assert committed(editor.post, url, {"post": "yes"}).status_code == 302
    pages.refreshed(tag.get_absolute_url(), status=404)
    assert ">古城保护</a>" not in pages.refreshed(site.feature.get_absolute_url())
    pages.assert_kept(kept)


def test_a_rolled_back_edit_leaves_nothing_behind(site, django_capture_on_commit_callbacks):
    person = site.photographer
    stored = len(announced(signals.related_changed))  # building the site's
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        person.name = "回滚"
        actions.save_related(person)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert len(announced(signals.related_changed)) == stored  # none for a rolled-back change
    # The same edit, committed, stores its purge with the state before it.
    person.refresh_from_db()
    person.name = "王方"
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_related(person)
    (change,) = announced(signals.related_changed)[stored:]
    before, after = change["before"], change["after"]
    assert after is not None and after["name"] == "王方"
    assert before is not None and before["name"] == "张伟"
