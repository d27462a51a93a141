"""稿费 and 绩效 on hand-made cases: shares, 头条 and 原创, pictures and video, two rate
tables, retracted pieces, filters, views, and refused rate tables."""

import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel, Person
from citydesk.pay import report as pay
from citydesk.pay.actions import RatesRefused, set_rates
from citydesk.pay.models import RateTable
from citydesk.rankings.backends import get_backend
from citydesk.rankings.backends.base import View

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 10)
RATES = {
    "per_piece": "100",
    "per_thousand_chars": "50",
    "per_photo": "30",
    "per_video": "80",
    "headline_multiplier": "1.5",
    "original_multiplier": "1.2",
}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


def piece(
    credits: list[tuple[str, str]],
    *,
    chars: int = 1000,
    photos: int = 0,
    videos: int = 0,
    source: str = "名城苏州",
    headline: bool = False,
    day: date = DAY,
    channel: str = "suzhou",
    views: int = 0,
) -> Article:
    body: list[dict] = [{"type": "paragraph", "text": "字" * chars}]
    body += [{"type": "image", "src": f"https://img.example.cn/{n}.jpg"} for n in range(photos)]
    body += [{"type": "video", "src": f"https://v.example.cn/{n}.mp4"} for n in range(videos)]
    return actions.create_article(
        ArticleData(
            title="稿费测试",
            body=body,
            credits=credits,
            source=source,
            is_headline=headline,
            published_at=at(day),
            channels=[channel],
            view_count=views,
        ),
        status=Article.Status.PUBLISHED,
    )


def lines(**kwargs) -> dict[str, pay.Line]:
    return {line.name: line for line in pay.report(DAY, DAY, **kwargs)}


@pytest.fixture
def rates():
    return set_rates(None, date(2026, 1, 1), **RATES)


def test_a_headline_original_with_its_pictures(rates):
    piece([("writer", "张三"), ("photographer", "李四")], chars=2000, photos=2, headline=True)
    found = lines()
    # (100 + 50 × 2000/1000) × 1.5 (头条) × 1.2 (原创)
    assert found["张三"].rounded() == Decimal("360.00")
    assert (found["张三"].chars, found["张三"].headlines, found["张三"].originals) == (2000, 1, 1)
    assert found["李四"].rounded() == Decimal("60.00") and found["李四"].photos == 2
    assert found["李四"].chars == 0  # a photographer's 字数 is not theirs


def test_writers_share_equally_or_by_the_lead_rule(rates):
    piece([("writer", "张三"), ("writer", "王五"), ("writer", "钱七")], source="新华社")
    found = lines()
    # A repost: no 原创 multiplier; 150 among three.
    assert [found[n].rounded() for n in ("张三", "王五", "钱七")] == [Decimal("50.00")] * 3
    assert found["张三"].reposts == 1 and found["张三"].originals == 0
    set_rates(None, date(2026, 1, 1), **RATES, share="lead", lead_percent=60)
    found = lines()
    assert [found[n].rounded() for n in ("张三", "王五", "钱七")] == [
        Decimal("90.00"),
        Decimal("30.00"),
        Decimal("30.00"),
    ]
    assert sum(found[n].amount for n in found) == Decimal("150")


def test_video_and_a_person_credited_twice_on_one_piece(rates):
    piece([("writer", "赵六"), ("video_editor", "赵六")], chars=0, videos=2)
    (line,) = pay.report(DAY, DAY)
    # Writing: 100 × 1.2; video: 2 × 80. One piece, not two.
    assert (line.pieces, line.videos, line.rounded()) == (1, 2, Decimal("280.00"))


def test_a_retracted_piece_earns_nothing(rates):
    kept = piece([("writer", "张三")])
    gone = piece([("writer", "张三")], photos=3)
    actions.do_retract_article(gone)
    line = lines()["张三"]
    assert (line.pieces, line.retracted) == (1, 1)
    assert line.rounded() == Decimal("180.00")  # (100 + 50) × 1.2, the kept one only
    assert line.article_ids == {kept.pk, gone.pk}


def test_each_piece_is_paid_by_the_table_of_its_day(rates):
    later = date(2026, 11, 20)
    set_rates(None, date(2026, 11, 15), **{**RATES, "per_piece": "200"})
    piece([("writer", "张三")], day=DAY)
    piece([("writer", "张三")], day=later)
    (line,) = pay.report(DAY, later)
    assert line.pieces == 2
    assert line.rounded() == Decimal("180.00") + Decimal("300.00")  # (200 + 50) × 1.2


def test_before_any_table_pieces_count_but_earn_nothing():
    piece([("writer", "张三")])
    (line,) = pay.report(DAY, DAY)
    assert (line.pieces, line.amount) == (1, Decimal(0))


def test_filters_by_person_desk_channel_and_days(rates):
    piece([("writer", "张三")], channel="suzhou")
    piece([("writer", "王五")], channel="guonei")
    piece([("writer", "张三")], day=date(2026, 11, 11))
    zhang = lines()["张三"]
    assert set(lines(person_id=zhang.person_id)) == {"张三"}
    assert set(lines(channel=Channel.objects.get(slug="guonei"))) == {"王五"}
    assert lines()["张三"].pieces == 1  # the 11th is outside the day asked for
    Person.objects.filter(name="王五").update(organization="姑苏晚讯")
    assert set(lines(desk="姑苏晚讯")) == {"王五"}
    with pytest.raises(ValueError, match="结束日期"):
        pay.report(DAY, date(2026, 11, 9))


def test_views_from_the_rankings_and_the_carried_count(rates):
    article = piece([("writer", "张三")], views=500)
    now = time.time()
    get_backend().record([View(key=n, article_id=article.pk, at=now) for n in range(7)], now)
    line = lines()["张三"]
    assert (line.views_day, line.views_week, line.views_total) == (7, 7, 507)


def test_exports_never_hold_a_formula(rates):
    from citydesk.pay import export

    piece([("writer", '=HYPERLINK("http://evil.example")')])
    text = export.as_csv(pay.report(DAY, DAY)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"per_piece": "-1"}, "每篇不能为负数"),
        ({"per_photo": "abc"}, "每张图片须是数字"),
        ({"headline_multiplier": "-0.5"}, "头条系数不能为负数"),
        ({"per_video": "NaN"}, "每条视频须是数字"),
        ({"share": "boss"}, "未知的分配方式"),
        ({"share": "lead", "lead_percent": 0}, "1% 到 100%"),
    ],
)
def test_a_bad_rate_table_is_refused_and_nothing_stored(change, message):
    with pytest.raises(RatesRefused, match=message):
        set_rates(None, date(2026, 1, 1), **{**RATES, **change})
    assert not RateTable.objects.exists()
