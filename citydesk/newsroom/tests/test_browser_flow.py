"""The whole newsroom flow in headless Chromium, as people do it: a reporter writes a
piece with a heading, an uploaded image and a page break and submits it; an editor
returns it; the reporter fixes and resubmits it; the chief editor approves and publishes
it; a reader finds it on the home page, its channel and its own pages."""

import io
import re

import pytest
from django.contrib.auth.models import Group, User
from PIL import Image as Picture

from citydesk.content.models import Article
from citydesk.core.testing import chromium
from citydesk.newsroom.roles import GROUPS, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "平江路夜游线路今晚开放"
PASSWORD = "flow-test-pw-1"


def member(username: str, name: str, role: Role) -> User:
    # No staff flag: the newsroom is not the admin.
    user = User.objects.create_user(username, password=PASSWORD, first_name=name)
    user.groups.add(Group.objects.get(name=GROUPS[role]))
    return user


@pytest.fixture
def browser():
    with chromium() as instance:
        yield instance


def signed_in(browser, base: str, username: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/newsroom/")  # the newsroom's login page, then the dashboard
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/newsroom/$"))
    return page


def open_piece(page, base: str, pk: int):
    page.goto(f"{base}/newsroom/a/{pk}/edit/")
    page.locator(".tiptap.ProseMirror").wait_for()


def status(pk: int) -> str:
    return Article.objects.get(pk=pk).status


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Picture.new("RGB", (800, 500), (40, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_reporter_to_reader(browser, live_server, tmp_path):
    member("reporter", "沈记者", Role.REPORTER)
    member("editor", "王编辑", Role.EDITOR)
    member("chief", "张总编", Role.CHIEF)
    base = live_server.url

    # The reporter writes.
    reporter = signed_in(browser, base, "reporter")
    reporter.click("#new-article")
    body = reporter.locator(".tiptap.ProseMirror")
    body.wait_for()
    reporter.fill("#id_title", TITLE)
    body.click()
    reporter.keyboard.type("## 三条线路")
    reporter.keyboard.press("Enter")
    reporter.keyboard.type("本报讯 平江路夜游线路今晚起开放。")
    reporter.keyboard.press("Enter")
    picture = tmp_path / "pingjiang.jpg"
    picture.write_bytes(jpeg())
    reporter.set_input_files("#image-upload input[type=file]", str(picture))
    reporter.fill("#image-upload input[name=caption]", "平江路夜景")
    reporter.fill("#image-upload input[name=credit]", "摄影 顾远")
    reporter.click("#image-upload button[type=submit]")
    body.locator("figure img").wait_for()
    reporter.get_by_role("button", name="分页").click()
    reporter.keyboard.type("第二页：线路沿途有评弹演出。")
    assert reporter.locator("#char-count").inner_text() == str(
        len("三条线路本报讯平江路夜游线路今晚起开放。第二页：线路沿途有评弹演出。")
    )
    reporter.get_by_label("苏州", exact=True).check()
    reporter.get_by_role("button", name="保存", exact=True).click()
    reporter.wait_for_url(re.compile(r"/newsroom/a/\d+/edit/$"))
    pk = int(reporter.url.split("/")[-3])
    reporter.locator(".tiptap.ProseMirror").wait_for()
    reporter.click("#save-and-submit")
    reporter.locator(".messagelist").get_by_text("已送审").wait_for()
    assert status(pk) == Article.Status.SUBMITTED
    article = Article.objects.get(pk=pk)
    kinds = [block["type"] for block in article.body]
    assert kinds == ["heading", "paragraph", "image", "pagebreak", "paragraph"]
    assert (article.body[2]["caption"], article.body[2]["credit"]) == ("平江路夜景", "摄影 顾远")

    # The editor returns it.
    editor = signed_in(browser, base, "editor")
    editor.locator("#waiting").get_by_role("link", name=TITLE).click()
    editor.locator("#workflow").wait_for()
    editor.fill("#workflow input[name=comment][required]", "请补充开放时间")
    editor.click("#step-return")
    editor.locator(".messagelist").wait_for()
    assert status(pk) == Article.Status.RETURNED

    # The reporter reads why, fixes it and submits again.
    reporter.goto(f"{base}/newsroom/")
    reporter.locator("#my-drafts").get_by_role("link", name=TITLE).click()
    reporter.locator(".tiptap.ProseMirror").wait_for()
    assert "请补充开放时间" in reporter.locator(".editor-log").inner_text()
    reporter.locator(".tiptap.ProseMirror p").last.click()
    reporter.keyboard.press("End")
    reporter.keyboard.type("开放时间为每晚七点至十点。")
    reporter.click("#save-and-submit")
    reporter.locator(".messagelist").get_by_text("已送审").wait_for()
    assert status(pk) == Article.Status.SUBMITTED
    assert "每晚七点至十点" in str(Article.objects.get(pk=pk).body)

    # The chief editor approves and publishes.
    chief = signed_in(browser, base, "chief")
    open_piece(chief, base, pk)
    chief.click("#step-approve")
    chief.locator("#step-publish").wait_for()
    assert status(pk) == Article.Status.APPROVED
    chief.click("#step-publish")
    chief.locator("#article-status").get_by_text("已发布").wait_for()
    assert status(pk) == Article.Status.PUBLISHED
    editor_credit = Article.objects.get(pk=pk).responsible_editor
    assert editor_credit is not None and editor_credit.name == "张总编"

    # A reader sees it everywhere.
    reader = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    reader.goto(f"{base}/")
    reader.get_by_role("link", name=TITLE).first.click()
    reader.wait_for_url(re.compile(rf"/a/{pk}/$"))
    text = reader.locator("body").inner_text()
    assert "三条线路" in text and "平江路夜景" in text and "摄影 顾远" in text
    assert "本篇文章共有2页" in text and "责编" in text and "张总编" in text
    assert reader.locator(".article-body figure img").count() == 1
    reader.locator(".article-pages").get_by_role("link", name="2", exact=True).click()
    assert "开放时间为每晚七点至十点。" in reader.locator("body").inner_text()
    reader.goto(f"{base}/suzhou/")
    assert reader.get_by_role("link", name=TITLE).count() >= 1
