"""The sensitive-word check: what it finds, where, and how it stops 送审 and 签发."""

import pytest

from citydesk.content.models import Article
from citydesk.newsroom import actions as workflow
from citydesk.newsroom import sensitive
from citydesk.newsroom.models import SensitiveWord

pytestmark = pytest.mark.django_db


def test_hits_are_found_in_every_part_and_shown_in_context():
    body = [
        {"type": "heading", "text": "一个<b>小标题</b>"},
        {
            "type": "paragraph",
            "text": "这里提到了赌博网站&lt;和&gt;别的内容，后面还有很长的一段文字没有问题。",
        },
        {"type": "image", "src": "/m/a.jpg", "caption": "ＶＰＮ广告牌"},
    ]
    hits = sensitive.check(
        {"title": "标题无事", "summary": "摘要里有vpn", "body": body}, ["赌博", "VPN", "赌博网站"]
    )
    assert [(h.word, h.where) for h in hits] == [
        ("vpn", "摘要"),
        ("赌博网站", "正文第2段"),  # the longer listed word, not 赌博 inside it
        ("ＶＰＮ", "图片说明"),  # full-width and case folded
    ]
    assert str(hits[1].snippet) == "这里提到了<mark>赌博网站</mark>&lt;和&gt;别的内容，后面还有…"


def test_no_words_listed_means_no_hits():
    assert sensitive.check({"title": "任何标题"}, []) == []


def test_a_flagged_piece_is_not_submitted_until_fixed(draft, people):
    SensitiveWord.objects.create(word="正文")
    article = draft()
    with pytest.raises(workflow.SensitiveWords) as refused:
        workflow.submit(people["reporter"], article)
    assert "正文" in str(refused.value) and refused.value.hits[0].where == "正文第1段"
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and not article.transitions.exists()

    article.body = [{"type": "paragraph", "text": "改好了。"}]
    article.save()
    workflow.submit(people["reporter"], article)
    assert article.status == Article.Status.SUBMITTED


def test_a_word_added_after_submit_is_caught_at_publish(draft, people):
    article = draft()
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    SensitiveWord.objects.create(word="送审测试稿")
    with pytest.raises(workflow.SensitiveWords):
        workflow.publish(people["chief"], article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.APPROVED
    workflow.publish(people["chief"], article, override_reason="报道标题，经核实")
    assert article.status == Article.Status.PUBLISHED
    assert article.transitions.last().comment == "敏感词放行（送审测试稿）：报道标题，经核实"


def test_chief_editors_keep_the_list_in_the_admin(people):
    from django.test import Client

    chief = people["chief"]
    chief.is_staff = True
    chief.save()
    client = Client()
    client.force_login(chief)
    response = client.post("/admin/newsroom/sensitiveword/add/", {"word": "测试词", "note": ""})
    assert response.status_code == 302 and SensitiveWord.objects.filter(word="测试词").exists()
    people["editor"].is_staff = True
    people["editor"].save()
    client.force_login(people["editor"])
    assert client.get("/admin/newsroom/sensitiveword/").status_code == 403
