import io
import json
import lzma
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from citydesk.content.actions import ArticleData, create_article, get_or_create_tag
from citydesk.content.models import Article, ArticleCredit, Person, Tag
from citydesk.content.sanitize import clean_blocks
from citydesk.core.testing import shared_data
from citydesk.importers import jsonl

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def xwlb(item_id, title="示例标题", body="第一段。\n第二段。", **extra):
    record = {
        "id": item_id,
        "broadcast_date": "2015-03-04",
        "pub_time": "2015-03-04 19:05:06",
        "title": title,
        "source": "央视网",
        "keywords": ["春耕", "农机"],
        "hl_tag": "",
        "brief": "一句导语。",
        "url": f"https://tv.example.com/{item_id}.shtml",
        "order": 1,
        "body": body,
    }
    record.update(extra)
    return record


def sina(item_id, title="新浪示例", body="正文一行。", **extra):
    record = {
        "id": item_id,
        "category": "entertainment",
        "source_folder": "Entertainment",
        "source_file": f"Entertainment/{title}.txt",
        "title": title,
        "date_hint": "2018-11-02",
        "body": body,
    }
    record.update(extra)
    return record


def write_jsonl(path, records, *, xz=False):
    text = "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )
    if xz:
        with lzma.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_import(*args):
    """Run `citydesk import jsonl ARGS`; returns (failed count, stderr text)."""
    err = io.StringIO()
    try:
        call_command("import", "jsonl", *map(str, args), stdout=io.StringIO(), stderr=err)
    except CommandError as exc:
        if exc.returncode != 1:
            raise
        return int(str(exc).split()[0]), err.getvalue()
    return 0, err.getvalue()


def stored_ids():
    return sorted(str(i) for i in Article.objects.values_list("external_id", flat=True))


def article(external_id):
    return Article.objects.get(external_id=external_id)


def channel_slugs(a):
    return set(a.channels.values_list("slug", flat=True))


def credits_of(a):
    return [(c.role, c.person.name) for c in a.credits.select_related("person")]


# -- the two forms ---------------------------------------------------------------------


def test_xwlb_form_maps_sections_keywords_bylines_and_time(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            xwlb(
                "V1",
                body="第一段。\n第二段<script>x</script>。\n(视频编辑：甲乙丙 文字编辑：丁戊己)",
                hl_tag="央视评论,国际资讯",
            ),
            xwlb("V2", body="只有一段。（文字编辑：丁戊己）", hl_tag="民生", source=None),
            xwlb("V3", title="节目完整版", body="", keywords=[]),
        ],
    )
    assert run_import(path)[0] == 0

    a = article("xwlb:V1")
    assert a.title == "示例标题"
    assert a.status == Article.Status.PUBLISHED
    assert a.published_at == datetime(2015, 3, 4, 19, 5, 6, tzinfo=SHANGHAI)
    assert a.kind == Article.Kind.ARTICLE
    assert a.source == "央视网"
    assert a.source_url == "https://tv.example.com/V1.shtml"
    assert a.summary == "一句导语。"
    assert channel_slugs(a) == {"guonei", "pinglun"}
    assert set(a.tags.values_list("name", flat=True)) == {"春耕", "农机", "央视评论", "国际资讯"}
    assert credits_of(a) == [("video_editor", "甲乙丙"), ("text_editor", "丁戊己")]
    # The byline is gone from the body; markup in the text is escaped, not kept.
    assert a.body == [
        {"type": "paragraph", "text": "第一段。"},
        {"type": "paragraph", "text": "第二段&lt;script&gt;x&lt;/script&gt;。"},
    ]
    assert clean_blocks(a.body) == a.body

    b = article("xwlb:V2")
    assert channel_slugs(b) == {"guonei", "chengshi"}
    assert b.source == "央视网"  # no source given: the programme's site
    assert b.body == [{"type": "paragraph", "text": "只有一段。"}]
    assert credits_of(b) == [("text_editor", "丁戊己")]

    # An item with no transcript is the broadcast video itself.
    c = article("xwlb:V3")
    assert c.kind == Article.Kind.VIDEO
    assert channel_slugs(c) == {"guonei", "shipin"}
    assert c.body == []

    # One person per name, shared by both articles that credit them.
    assert Person.objects.filter(name="丁戊己").count() == 1
    assert Tag.objects.filter(name="春耕").count() == 1


def test_sina_form_xz_categories_dates_and_bylines(tmp_path):
    path = write_jsonl(
        tmp_path / "b.jsonl.xz",
        [
            sina("s1", body="第一行。\n第二行。（记者：子丑寅）"),
            sina("s2", category="health", date_hint=None, body="养生。\n(责编：卯辰)"),
            sina("s3", category="sports", date_hint=""),
            sina("s4", category="tech", date_hint="2018-11-74"),
            sina("s5", category="fashion", body="穿搭。（文/未申酉）"),
            sina("s6", category="education"),
        ],
        xz=True,
    )
    assert run_import(path)[0] == 0

    s1 = article("sina:s1")
    assert s1.source == "新浪"
    assert s1.published_at == datetime(2018, 11, 2, tzinfo=SHANGHAI)
    assert channel_slugs(s1) == {"wenlv"}
    assert list(s1.tags.values_list("name", flat=True)) == ["娱乐"]
    assert credits_of(s1) == [("writer", "子丑寅")]
    assert s1.body[-1] == {"type": "paragraph", "text": "第二行。"}

    s2 = article("sina:s2")
    assert channel_slugs(s2) == {"chengshi"}
    assert s2.responsible_editor is not None and s2.responsible_editor.name == "卯辰"
    assert s2.body == [{"type": "paragraph", "text": "养生。"}]

    undated = datetime(2018, 10, 1, tzinfo=SHANGHAI)
    assert s2.published_at == undated  # date_hint None
    assert article("sina:s3").published_at == undated  # empty
    assert article("sina:s4").published_at == undated  # a guess that is no date
    assert channel_slugs(article("sina:s3")) == {"chengshi"}
    assert channel_slugs(article("sina:s4")) == {"guonei"}
    assert channel_slugs(article("sina:s5")) == {"wenlv"}
    assert credits_of(article("sina:s5")) == [("writer", "未申酉")]
    assert channel_slugs(article("sina:s6")) == {"chengshi"}


def test_undated_at_option(tmp_path):
    path = write_jsonl(tmp_path / "b.jsonl", [sina("s1", date_hint=None)])
    run_import(path, "--undated-at", "2018-12-31 08:00")
    assert article("sina:s1").published_at == datetime(2018, 12, 31, 8, tzinfo=SHANGHAI)


def test_forms_are_recognised_per_line_not_by_file_name(tmp_path):
    # An xz stream in a file named .txt, with both forms mixed line by line.
    path = write_jsonl(tmp_path / "mixed.txt", [sina("m1"), xwlb("M2"), sina("m3")], xz=True)
    assert run_import(path)[0] == 0
    assert stored_ids() == [
        "sina:m1",
        "sina:m3",
        "xwlb:M2",
    ]


def test_existing_tags_and_people_are_reused_and_slugs_stay_unique(tmp_path):
    existing = get_or_create_tag("春耕")
    create_article(ArticleData(title="旧稿", body=[], credits=[("writer", "甲乙丙")]))
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            xwlb("V1", keywords=["春耕", "Spring Plan", "spring-plan"]),
            xwlb("V2", body="文。(视频编辑：甲乙丙 文字编辑：丁戊己)"),
        ],
    )
    run_import(path)
    assert set(article("xwlb:V1").tags.all()) >= {existing}
    assert Tag.objects.filter(name="春耕").count() == 1
    assert Person.objects.filter(name="甲乙丙").count() == 1
    slugs = list(Tag.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs))
    assert {"spring-plan", "spring-plan-2"} <= set(slugs)


def test_a_batch_costs_a_fixed_number_of_queries(tmp_path, django_assert_max_num_queries):
    editors = ["甲乙", "丙丁", "戊己", "庚辛", "壬癸", "子丑", "寅卯"]
    records = [
        xwlb(f"Q{i}", keywords=[f"词{i}", "共同"], body=f"段{i}。(文字编辑：{editors[i % 7]})")
        for i in range(200)
    ]
    path = write_jsonl(tmp_path / "q.jsonl", records)
    # Not one query per article: the whole file is one batch of bulk statements.
    with django_assert_max_num_queries(30):
        run_import(path, "--batch-size", "500", "--no-progress")
    assert Article.objects.count() == 200
    assert ArticleCredit.objects.count() == 200
    assert Article.tags.through.objects.count() == 400


# -- re-running, interrupts, bad lines -------------------------------------------------


def test_second_run_adds_nothing(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl.xz",
        [xwlb(f"V{i}", body="文。(视频编辑：甲乙丙 文字编辑：丁戊己)") for i in range(5)],
        xz=True,
    )
    _, first = run_import(path)
    counts = (Article.objects.count(), Tag.objects.count(), Person.objects.count())
    credits = ArticleCredit.objects.count()
    _, second = run_import(path)
    assert counts == (5, 2, 2)
    assert (Article.objects.count(), Tag.objects.count(), Person.objects.count()) == counts
    assert ArticleCredit.objects.count() == credits == 10
    assert "imported 5 / skipped (duplicate) 0 / failed 0" in first
    assert "imported 0 / skipped (duplicate) 5 / failed 0" in second


def test_interrupted_run_resumes_and_stores_each_item_once(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "a.jsonl", [xwlb(f"V{i}", keywords=[f"词{i}"]) for i in range(7)])
    real_write = jsonl.BulkWriter._write
    calls = {"n": 0}

    def interrupted_write(self, items):
        calls["n"] += 1
        if calls["n"] == 3:
            real_write(self, items)  # the third batch is half-way in when Ctrl-C comes
            raise KeyboardInterrupt
        real_write(self, items)

    monkeypatch.setattr(jsonl.BulkWriter, "_write", interrupted_write)
    with pytest.raises(CommandError) as exc:
        call_command("import", "jsonl", str(path), "--batch-size", "2", stderr=io.StringIO())
    assert exc.value.returncode == 130
    # Two whole batches are stored; the interrupted one left nothing behind.
    assert stored_ids() == [
        "xwlb:V0",
        "xwlb:V1",
        "xwlb:V2",
        "xwlb:V3",
    ]
    assert not Tag.objects.filter(name="词4").exists()

    monkeypatch.setattr(jsonl.BulkWriter, "_write", real_write)
    _, err = run_import(path, "--batch-size", "2")
    assert "imported 3 / skipped (duplicate) 4 / failed 0" in err
    assert stored_ids() == [f"xwlb:V{i}" for i in range(7)]
    assert Tag.objects.filter(name__startswith="词").count() == 7
    assert Article.tags.through.objects.count() == 7


def test_limit_then_full_run(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [sina(f"s{i}") for i in range(6)])
    run_import(path, "--limit", "4", "--batch-size", "3")
    assert Article.objects.count() == 4
    _, err = run_import(path, "--batch-size", "3")
    assert "imported 2 / skipped (duplicate) 4" in err
    assert Article.objects.count() == 6


def test_bad_lines_are_reported_counted_and_skipped(tmp_path):
    records = [
        xwlb("G1"),
        "{not json",
        json.dumps({"id": "u1", "headline": "无法识别"}),
        json.dumps(xwlb("B1", title="  ")),
        json.dumps(["a", "list"]),
        json.dumps(sina(None)),
        "",
        sina("G2"),
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", records)
    err = io.StringIO()
    options = {"paths": [path], "batch_size": 2, "no_progress": True}
    failed = jsonl.run(options, io.StringIO(), err)
    text = err.getvalue()
    assert failed == 5
    assert f"{path}:2: invalid JSON" in text
    assert f"{path}:3: unknown form" in text
    assert f"{path}:4: missing title" in text
    assert f"{path}:5: not a JSON object" in text
    assert f"{path}:6: missing id" in text
    assert f"{path}:7:" not in text  # a blank line is not an error
    assert "imported 2 / skipped (duplicate) 0 / failed 5" in text
    assert stored_ids() == ["sina:G2", "xwlb:G1"]
    # The command exits non-zero, with the count.
    with pytest.raises(CommandError, match="5"):
        call_command("import", "jsonl", str(path), stderr=io.StringIO())
    assert Article.objects.count() == 2


def test_cut_off_xz_file_keeps_what_was_read(tmp_path):
    path = write_jsonl(tmp_path / "cut.jsonl.xz", [xwlb(f"V{i}") for i in range(50)], xz=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # the stream's end (and last lines) are gone
    failed, err = run_import(path, "--batch-size", "10")
    assert failed == 1
    assert "unreadable xz data" in err
    assert 0 < Article.objects.count() < 50


def test_progress_bar_and_summary_go_to_stderr(tmp_path):
    path = write_jsonl(tmp_path / "progress.jsonl", [xwlb("P1")])
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "jsonl", str(path), stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "progress.jsonl" in err.getvalue()
    assert "imported 1 / skipped (duplicate) 0 / failed 0" in err.getvalue()


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "jsonl", str(tmp_path / "absent.jsonl"), stderr=io.StringIO())


# -- the real corpus -------------------------------------------------------------------


def test_first_lines_of_the_real_xwlb_corpus(tmp_path):
    source = shared_data("corpus", "xwlb_2012-2026_articles.jsonl.xz")
    with lzma.open(source, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(500)]
    path = tmp_path / "xwlb_head.jsonl"
    path.write_text("".join(lines), encoding="utf-8")

    failed, err = run_import(path, "--batch-size", "200")
    assert failed == 0
    assert "imported 500 / skipped (duplicate) 0 / failed 0" in err
    assert Article.objects.count() == 500
    assert Article.objects.filter(channels__slug="guonei").count() == 500
    assert Tag.objects.count() > 500
    assert Person.objects.exists()
    assert ArticleCredit.objects.filter(role="video_editor").exists()
    assert ArticleCredit.objects.filter(role="text_editor").exists()
    # No stored body keeps a byline line it was credited from.
    for a in Article.objects.filter(credits__isnull=False).distinct():
        assert "编辑：" not in a.plain_text() and "编辑:" not in a.plain_text()
    assert run_import(path)[1].count("skipped (duplicate) 500") == 1
