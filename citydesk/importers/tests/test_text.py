import json
import os
import subprocess
import sys
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from citydesk.content.models import Article, ArticleCredit, Person
from citydesk.core.testing import REPO_ROOT, shared_data
from citydesk.importers.text import PageError, parse_page

COMPARED_KEYS = (
    "title",
    "published_at",
    "source",
    "byline",
    "responsible_editor",
    "page_count",
    "body",
)


@pytest.fixture
def page_path():
    return shared_data("seed", "000_03e6a39d6aae467d.txt")


@pytest.fixture
def expected():
    return json.loads(shared_data("seed", "seed.expected.json").read_text(encoding="utf-8"))


def run_import(*args):
    """(raised CommandError or None, stdout, stderr) of `citydesk import text ARGS`."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import", "text", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


def dry_run_json(*paths):
    error, out, _ = run_import(*paths, "--dry-run", "--format", "json")
    assert error is None
    return [json.loads(line) for line in out.splitlines()]


def synthetic_page(body, *, meta="时间:2021-03-05 09:30:00 来源:测试报", footer=None):
    """A page of the portal's shape with made-up text."""
    footer = (
        ["责编:赵六", "本篇文章共有1页 当前为第 1", "今日推荐", "热点排行"]
        if footer is None
        else footer
    )
    return "\n\n".join(["名城苏州 滚动 苏州", "测试标题", meta, *body, *footer]) + "\n"


CLI = [sys.executable, "-m", "citydesk"]
LONG = "这是一段足够长的正文内容,用来说明段落的样子,并且以句号结束。"


# The reference page ---------------------------------------------------------------------


def test_reference_page_dry_run_equals_expected(page_path, expected):
    (article,) = dry_run_json(page_path)
    assert {key: article[key] for key in COMPARED_KEYS} == {
        key: expected[key] for key in COMPARED_KEYS
    }


def test_dry_run_prints_one_json_line_and_nothing_else(page_path):
    error, out, err = run_import(page_path, "--dry-run", "--format", "json")
    assert error is None
    assert out.endswith("\n") and out.count("\n") == 1
    assert json.loads(out)["title"]
    assert "失败 (failed) 0" in err.splitlines()[-1]


def test_paragraphs_and_headings_match_expected(page_path, expected):
    (article,) = dry_run_json(page_path)
    body = article["body"]
    assert sum(b["type"] == "paragraph" for b in body) == expected["paragraph_count"]
    assert [b["text"] for b in body if b["type"] == "heading"] == expected["headings"]
    texts = "\n".join(b.get("text", "") for b in body)
    for furniture in expected["not_body"]:
        assert furniture not in texts
    assert "/摄" not in texts


def test_cli_prints_only_json_on_stdout(page_path, tmp_path):
    env = {**os.environ, "CITYDESK_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [*CLI, "import", "text", str(page_path), "--dry-run", "--format", "json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["published_at"] == "2020-12-29T16:41:08+08:00"
    assert "(imported)" not in done.stdout and "(would import) 1" in done.stderr


# Storing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_stores_article_then_reimport_adds_nothing(page_path, expected):
    (dry,) = dry_run_json(page_path)
    error, _, err = run_import(page_path)
    assert error is None
    article = Article.objects.get()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at == datetime(
        2020, 12, 29, 16, 41, 8, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert article.title == expected["title"]
    assert article.source == expected["source"]
    assert article.byline_organization == expected["byline"]["organization"]
    assert article.responsible_editor is not None
    assert article.responsible_editor.name == expected["responsible_editor"]
    assert article.body == dry["body"]
    assert article.external_id == dry["external_id"]
    assert [c.slug for c in article.channels.all()] == ["suzhou"]
    credits = [(c.role, c.person.name) for c in article.credits.select_related("person")]
    assert credits == [(ArticleCredit.Role.WRITER, n) for n in expected["byline"]["writers"]] + [
        (ArticleCredit.Role.PHOTOGRAPHER, n) for n in expected["byline"]["photographers"]
    ]
    assert "(imported) 1" in err.splitlines()[-1]

    people, credit_rows = Person.objects.count(), ArticleCredit.objects.count()
    error, _, err = run_import(page_path)
    assert error is None
    assert Article.objects.count() == 1
    assert (Person.objects.count(), ArticleCredit.objects.count()) == (people, credit_rows)
    assert "(imported) 0, 跳过重复 (skipped duplicate) 1" in err.splitlines()[-1]


@pytest.mark.django_db
def test_paragraph_text_is_stored_escaped(tmp_path):
    path = tmp_path / "escape.txt"
    path.write_text(synthetic_page([f"  A&B <script>x</script> {LONG}"]), encoding="utf-8")
    assert run_import(path)[0] is None
    (paragraph,) = Article.objects.get().body
    assert paragraph["text"].startswith("A&amp;B &lt;script&gt;x&lt;/script&gt;")


@pytest.mark.django_db
def test_failure_while_storing_leaves_nothing_behind(page_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # After the editor's Person row is written: the whole file must roll back.
    monkeypatch.setattr("citydesk.content.actions.set_credits", broken)
    error, _, err = run_import(page_path)
    assert isinstance(error, CommandError)
    assert (Article.objects.count(), Person.objects.count()) == (0, 0)
    assert f"{page_path}: 无法保存 (cannot store): RuntimeError: disk full" in err


@pytest.mark.django_db
def test_unknown_channel_is_refused_before_anything_is_stored(page_path):
    error, _, _ = run_import(page_path, "--channel", "no-such-channel")
    assert isinstance(error, CommandError) and "no-such-channel" in str(error)
    assert not Article.objects.exists()


# Bad input ------------------------------------------------------------------------------


def _bad_time(tmp_path, page_path):
    text = page_path.read_text(encoding="utf-8").replace("2020-12-29", "2020-13-45")
    (tmp_path / "bad_time.txt").write_text(text, encoding="utf-8")
    return tmp_path / "bad_time.txt", "时间无法解析"


def _empty(tmp_path, page_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    return tmp_path / "empty.txt", "文件为空"


def _garbage(tmp_path, page_path):
    (tmp_path / "garbage.txt").write_text("这不是文章页\njust some words\n", encoding="utf-8")
    return tmp_path / "garbage.txt", "不是文章页"


def _missing(tmp_path, page_path):
    return tmp_path / "missing.txt", "文件不存在"


def _undecodable(tmp_path, page_path):
    # Bytes that are neither UTF-8 nor GB18030.
    (tmp_path / "latin.txt").write_bytes(b"\x80\xff" + page_path.read_bytes())
    return tmp_path / "latin.txt", "编码无法识别"


@pytest.mark.django_db
@pytest.mark.parametrize("make_bad", [_bad_time, _empty, _garbage, _missing, _undecodable])
def test_bad_file_is_one_line_error_and_good_file_still_imports(make_bad, tmp_path, page_path):
    bad, reason = make_bad(tmp_path, page_path)
    error, out, err = run_import(bad, page_path)
    assert isinstance(error, CommandError)
    assert error.returncode == 1
    lines_naming_bad = [line for line in err.splitlines() if str(bad) in line]
    assert len(lines_naming_bad) == 1 and reason in lines_naming_bad[0]
    assert err.splitlines()[-1].endswith(
        "导入 (imported) 1, 跳过重复 (skipped duplicate) 0, 失败 (failed) 1"
    )
    assert Article.objects.count() == 1
    assert out.count("\n") == 1


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_other_encodings_read_the_same(encoding, tmp_path, page_path):
    copy = tmp_path / f"{encoding}.txt"
    copy.write_bytes(page_path.read_text(encoding="utf-8").encode(encoding))
    assert dry_run_json(copy) == dry_run_json(page_path)


@pytest.mark.django_db
def test_gbk_copy_of_a_stored_page_is_a_duplicate(tmp_path, page_path):
    copy = tmp_path / "gbk.txt"
    copy.write_bytes(page_path.read_text(encoding="utf-8").encode("gbk"))
    error, _, err = run_import(page_path, copy)
    assert error is None
    assert Article.objects.count() == 1
    assert "跳过重复 (skipped duplicate) 1" in err.splitlines()[-1]


def test_folder_imports_its_txt_files(tmp_path):
    (tmp_path / "a.txt").write_text(synthetic_page([LONG]), encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        synthetic_page([LONG], meta="时间:2021-03-06 10:00:00"), encoding="utf-8"
    )
    (tmp_path / "notes.md").write_text("not a page", encoding="utf-8")
    assert [a["published_at"][:10] for a in dry_run_json(tmp_path)] == ["2021-03-05", "2021-03-06"]


# Other pages of the same portal ---------------------------------------------------------


def test_fullwidth_colons_and_no_source():
    page = parse_page(synthetic_page([LONG], meta="时间：2021-03-05 09:30"))
    assert page.article.source == ""
    assert page.article.published_at == datetime(
        2021, 3, 5, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert page.article.responsible_editor == "赵六"


def test_chinese_date_form():
    page = parse_page(synthetic_page([LONG], meta="时间:2021年3月5日 09:30 来源:测试报"))
    assert page.article.published_at == datetime.fromisoformat("2021-03-05T09:30:00+08:00")
    assert page.article.source == "测试报"


def test_impossible_time_is_refused():
    with pytest.raises(PageError, match="时间无法解析"):
        parse_page(synthetic_page([LONG], meta="时间:2021-02-30 09:30"))


def test_page_without_body_is_refused():
    with pytest.raises(PageError, match="正文为空"):
        parse_page(synthetic_page([]))


def test_trailing_byline_is_cut_from_the_last_paragraph():
    page = parse_page(synthetic_page([f"  {LONG}", f"  {LONG}(记者 张三 通讯员 李四/文)"]))
    assert page.article.body[-1]["text"] == LONG
    assert page.article.names("writer") == ["张三", "李四"]


def test_byline_on_its_own_line_leaves_no_block():
    page = parse_page(synthetic_page([f"  {LONG}", "(苏报融媒记者 张三/文 李四/摄)"]))
    assert [b["type"] for b in page.article.body] == ["paragraph"]
    assert page.article.organization == "苏报融媒"


def test_trailing_parenthesis_that_is_not_a_byline_stays():
    text = f"{LONG}(3月5日)"
    page = parse_page(synthetic_page([f"  {text}"]))
    assert page.article.body[-1]["text"] == text
    assert page.article.credits == []


def test_headings_credits_and_paragraphs_by_shape():
    page = parse_page(
        synthetic_page(
            [
                f"  {LONG}",
                "  一段小标题 没有句号",  # between paragraphs: heading
                f"  {LONG}",
                "测试报",  # a lone short name where a photo stood
                "  图片后的小标题",  # after a photo credit: heading
                f"  {LONG}",
                "  张三 摄",
                "  短句也是段落。",  # ends a sentence: paragraph
                "  结尾没有标点",  # nothing follows: paragraph
            ]
        )
    )
    assert [(b["type"], b.get("text") or b.get("credit")) for b in page.article.body] == [
        ("paragraph", LONG),
        ("heading", "一段小标题 没有句号"),
        ("paragraph", LONG),
        ("image", "测试报"),
        ("heading", "图片后的小标题"),
        ("paragraph", LONG),
        ("image", "张三"),
        ("paragraph", "短句也是段落。"),
        ("paragraph", "结尾没有标点"),
    ]


def test_several_pages_become_page_breaks():
    body = [f"  第一页{LONG}", "本篇文章共有2页 当前为第 1", "测试标题", f"  第二页{LONG}"]
    footer = ["责编:赵六", "本篇文章共有2页 当前为第 2", "欢迎关注名城苏州官方微信:abc", "今日推荐"]
    page = parse_page(synthetic_page(body, footer=footer))
    assert [b["type"] for b in page.article.body] == ["paragraph", "pagebreak", "paragraph"]
    assert (page.page_count, page.declared_pages) == (2, 2)
    assert page.article.responsible_editor == "赵六"


def test_part_of_a_longer_article_is_imported_with_a_warning(tmp_path):
    path = tmp_path / "part.txt"
    path.write_text(
        synthetic_page([LONG], footer=["本篇文章共有3页 当前为第 1", "今日推荐"]), encoding="utf-8"
    )
    error, out, err = run_import(path, "--dry-run", "--format", "json")
    assert error is None
    assert json.loads(out)["page_count"] == 1
    assert "声明 3 页" in err
