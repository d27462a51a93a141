"""稿费 in the newsroom: the chief editor sets the rates and sees everyone's lines and
exports them; a reporter sees their own, on the page and on the dashboard."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Person
from citydesk.newsroom.pay_views import own_person
from citydesk.pay.models import RateTable

pytestmark = pytest.mark.django_db

RATES = {
    "r-effective_from": "2026-01-01",
    "r-per_piece": "100",
    "r-per_thousand_chars": "50",
    "r-per_photo": "30",
    "r-per_video": "80",
    "r-headline_multiplier": "1.5",
    "r-original_multiplier": "1.2",
    "r-share": "equal",
    "r-lead_percent": "60",
}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def published(writer: str, chars: int = 1000) -> Article:
    return actions.create_article(
        ArticleData(
            title="稿费页面测试",
            body=[{"type": "paragraph", "text": "字" * chars}],
            credits=[("writer", writer)],
            channels=["suzhou"],
            published_at=timezone.now() - timedelta(minutes=5),
        ),
        status=Article.Status.PUBLISHED,
    )


def test_the_chief_sets_rates_sees_everyone_and_exports(people):
    chief, reporter = logged_in(people["chief"]), logged_in(people["reporter"])
    refused = chief.post("/newsroom/pay/", {**RATES, "r-per_piece": "-5"}, follow=True)
    assert "确保该值大于或等于0" in refused.content.decode()  # the form's own check
    assert not RateTable.objects.exists()
    assert chief.post("/newsroom/pay/", RATES).status_code == 302
    assert RateTable.objects.get().per_piece == 100
    assert reporter.post("/newsroom/pay/", RATES).status_code == 403

    published("小记")  # the reporter's display name
    published("外稿作者", chars=2000)
    page = chief.get("/newsroom/pay/").content.decode()
    assert "小记" in page and "外稿作者" in page and "180.00" in page and "240.00" in page
    assert "420.00" in page  # 合计
    # On a phone the amount is in view beside the name, not thirteen columns along.
    assert '<thead><tr><th>姓名</th><th class="num">稿费（元）</th><th>单位</th>' in page

    csv = chief.get("/newsroom/pay/", {"format": "csv"})
    assert csv["Content-Disposition"].startswith('attachment; filename="gaofei-')
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("姓名,单位,稿件数") and ",180.00" in text
    book = load_workbook(io.BytesIO(chief.get("/newsroom/pay/", {"format": "xlsx"}).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and {r[0] for r in rows[1:]} == {"小记", "外稿作者"}
    assert sorted(float(r[-1]) for r in rows[1:]) == [180.0, 240.0]

    mine = reporter.get("/newsroom/pay/").content.decode()
    assert "我的稿费" in mine and "180.00" in mine and "外稿作者" not in mine
    board = reporter.get("/newsroom/").content.decode()
    assert "本月稿费" in board and "<strong>180.00</strong>" in board


def test_a_bad_range_is_refused_with_a_message(people):
    chief = logged_in(people["chief"])
    page = chief.get("/newsroom/pay/", {"start": "2026-11-10", "end": "2026-11-01"})
    assert "结束日期不能早于开始日期" in page.content.decode()
    page = chief.get("/newsroom/pay/", {"start": "2024-01-01", "end": "2026-11-01"})
    assert "一次最多统计 366 天" in page.content.decode()
    page = chief.get("/newsroom/pay/", {"start": "昨天", "end": "2026-11-01"})
    assert page.status_code == 200 and "有效的日期" in page.content.decode()


def test_only_the_newsroom_sees_pay(people):
    assert Client().get("/newsroom/pay/").status_code == 302
    assert logged_in(people["outsider"]).get("/newsroom/pay/").status_code == 403


def test_a_new_rate_table_starts_from_the_one_in_force(people):
    chief = logged_in(people["chief"])
    assert chief.post("/newsroom/pay/", {**RATES, "r-per_piece": "123"}).status_code == 302
    form = chief.get("/newsroom/pay/").context["rates_form"]
    assert form.initial["per_piece"] == 123
    assert form.initial["share"] == "equal"
    assert form.initial["effective_from"] == timezone.localdate()  # a new table is from today
    page = chief.get("/newsroom/pay/").content.decode()
    assert f'name="r-effective_from" value="{timezone.localdate().isoformat()}"' in page


def test_ones_own_pay_follows_the_byline_linked_to_ones_account(people):
    people["admin"].is_staff = True  # the admin's person form
    people["admin"].save()
    chief, reporter = logged_in(people["admin"]), logged_in(people["reporter"])
    assert chief.post("/newsroom/pay/", RATES).status_code == 302
    published("笔名甲")  # a pen name, not the reporter's display name
    published("小记", chars=2000)  # someone else of the reporter's display name
    pen_name = Person.objects.get(name="笔名甲")
    change = chief.get(f"/admin/content/person/{pen_name.pk}/change/")
    assert change.status_code == 200 and 'name="user"' in change.content.decode()
    # Linked in the admin: the reporter's line is the pen name's, not the namesake's.
    form = change.context["adminform"].form
    data = {**form.initial, "user": people["reporter"].pk, "photo": ""}
    data = {k: v for k, v in data.items() if v is not None}
    assert chief.post(f"/admin/content/person/{pen_name.pk}/change/", data).status_code == 302
    assert Person.objects.get(pk=pen_name.pk).user == people["reporter"]
    mine = reporter.get("/newsroom/pay/").content.decode()
    assert "笔名甲" in mine and "180.00" in mine and "240.00" not in mine
    board = reporter.get("/newsroom/").content.decode()
    assert "<strong>180.00</strong>" in board
    # A name linked to another account is never matched by name.
    Person.objects.filter(name="小记").update(user=people["editor"])
    Person.objects.filter(pk=pen_name.pk).update(user=None)
    assert "240.00" not in reporter.get("/newsroom/pay/").content.decode()
    # Nor is a name two people share, though one of them is linked elsewhere.
    Person.objects.create(name="小记", slug="xiaoji-2")
    assert own_person(people["reporter"]) is None
