"""`citydesk import html`: saved Chinese news pages in their encodings, the pages of one
article together, pictures beside them, and bad files that fail alone."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as Picture

from citydesk.content.models import Article, Image
from citydesk.importers import html as html_import

pytestmark = pytest.mark.django_db

PAGE = """<!DOCTYPE html><html><head><meta charset="{charset}">
<title>古城墙修缮工程完工_苏州新闻_城市网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a> <a href="/sports/">体育</a></div>
<div class="ad">广告：楼盘特惠，欢迎来电咨询</div>
<div class="main">
  <h1>古城墙修缮工程完工</h1>
  <div class="info">2026-11-30 09:15 来源：城市日报 作者：林晓 周宁</div>
  <div class="article">
    <p>历时两年的古城墙修缮工程昨天完工，城墙沿线的步道同步开放。</p>
    <h3>修旧如旧</h3>
    <p>施工单位采用传统工艺，对破损的墙砖逐块编号、修补，最大程度保留了历史原貌。</p>
    <p><img src="wall_files/wall.jpg" alt="城墙"></p>
    <p onclick="steal()">市民王女士说：“城墙修好了，晚饭后来走一走，很舒服。”
      <script>alert(1)</script></p>
    <p>据介绍，城墙沿线还将增设休息座椅和导览标识，方便市民和游客。</p>
    {pager}
    <p class="editor">（责任编辑：陆一帆）</p>
  </div>
</div>
<div class="related"><h3>相关新闻</h3>
<a href="/a/1.html">运河夜游增开班次，市民游客纷纷点赞</a></div>
<div id="comment">网友评论：写得真好！我也去走过了，非常漂亮的地方。</div>
<div class="footer">版权所有 城市网 备案号 12345</div>
</body></html>"""


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Picture.new("RGB", (640, 400), (120, 90, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def page(charset: str = "gbk", pager: str = "") -> bytes:
    text = PAGE.format(charset=charset, pager=pager)
    if charset == "utf-8-sig":
        return text.replace('charset="utf-8-sig"', 'charset="utf-8"').encode("utf-8-sig")
    return text.encode(charset)


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "gb18030", "utf-8", "utf-8-sig"])
def test_a_page_in_any_chinese_encoding_is_read(tmp_path, charset):
    path = tmp_path / "wall.html"
    path.write_bytes(page(charset))
    found = html_import.read(path)
    assert found.title == "古城墙修缮工程完工"
    assert found.published_at is not None
    assert found.published_at.isoformat() == "2026-11-30T09:15:00"
    assert (found.source, found.authors, found.editor) == ("城市日报", ["林晓", "周宁"], "陆一帆")
    text = "".join(b.get("text", "") for b in found.blocks)
    assert "历时两年的古城墙修缮工程" in text and "方便市民和游客" in text
    for furniture in ("首页", "广告", "相关新闻", "运河夜游", "网友评论", "版权所有"):
        assert furniture not in text, furniture
    assert {"type": "heading", "text": "修旧如旧"} in found.blocks


def test_import_stores_the_article_with_its_picture_and_byline(tmp_path, capsys):
    (tmp_path / "wall.html").write_bytes(page())
    (tmp_path / "wall_files").mkdir()
    (tmp_path / "wall_files" / "wall.jpg").write_bytes(jpeg())
    call_command("import", "html", str(tmp_path), "--format", "json")
    out = json.loads(capsys.readouterr().out.strip())
    article = Article.objects.get()
    assert article.is_live and article.title == "古城墙修缮工程完工"
    image = Image.objects.get()
    assert {"type": "image", "src": image.file.url, "image_id": image.pk, "alt": "城墙"} in [
        {k: v for k, v in b.items() if k in ("type", "src", "image_id", "alt")}
        for b in article.body
    ]
    stored = json.dumps(article.body, ensure_ascii=False)
    assert "script" not in stored and "steal" not in stored and "很舒服" in stored
    assert [c.person.name for c in article.credits.all()] == ["林晓", "周宁"]
    assert article.responsible_editor is not None and article.responsible_editor.name == "陆一帆"
    assert out["authors"] == ["林晓", "周宁"] and out["path"] == str(tmp_path / "wall.html")
    assert {"title", "published_at", "source", "byline", "body", "page_count"} <= set(out)
    call_command("import", "html", str(tmp_path))  # again: a duplicate, nothing added
    assert Article.objects.count() == 1 and Image.objects.count() == 1
    assert "跳过重复 (skipped duplicate) 1" in capsys.readouterr().err


def test_the_pages_of_one_article_become_one_article(tmp_path, capsys):
    pager = (
        '<div class="pages"><a href="wall.html">1</a> <a href="wall_2.html">2</a>'
        ' <a href="wall_2.html">下一页</a></div>'
    )
    (tmp_path / "wall.html").write_bytes(page(pager=pager))
    second = PAGE.format(charset="gbk", pager=pager).replace(
        "历时两年的古城墙修缮工程昨天完工", "第二页：城墙沿线的夜景照明也已完工"
    )
    (tmp_path / "wall_2.html").write_bytes(second.encode("gbk"))
    call_command("import", "html", str(tmp_path), "--dry-run", "--format", "json")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["page_count"] == 2 and out["pages"] == [
        str(tmp_path / "wall.html"),
        str(tmp_path / "wall_2.html"),
    ]
    kinds = [b["type"] for b in out["body"]]
    assert kinds.count("pagebreak") == 1
    assert "第二页：城墙沿线的夜景照明也已完工" in json.dumps(out, ensure_ascii=False)
    assert not Article.objects.exists()  # a dry run stores nothing


def test_bad_files_fail_alone_with_a_summary(tmp_path, capsys, monkeypatch):
    good = tmp_path / "good.html"
    good.write_bytes(page())
    (tmp_path / "garbage.html").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "truncated.html").write_bytes(page()[:300])
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "nav.html").write_bytes(
        "<html><body><div class='nav'><a href='/'>首页</a><a href='/b'>新闻</a></div>"
        "</body></html>".encode()
    )
    (tmp_path / "big.html").write_bytes(page() + b" " * 2000)
    monkeypatch.setattr(html_import, "MAX_BYTES", len(page()) + 1000)
    before = Article.objects.count()
    with pytest.raises(CommandError) as failed:
        call_command("import", "html", str(tmp_path))
    assert failed.value.returncode == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("失败")]
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    assert any("big.html" in line and "文件太大" in line for line in lines)
    assert any("nav.html" in line and "没有正文" in line for line in lines)
    assert "导入 (imported) 1, 跳过重复 (skipped duplicate) 0, 失败 (failed) 5" in err
    assert Article.objects.count() == before + 1


def test_an_unknown_encoding_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "latin.html"
    path.write_bytes(("<html><body><p>" + "é" * 400 + "</p></body></html>").encode("utf-16"))
    with pytest.raises(CommandError):
        call_command("import", "html", str(path))
    assert "失败 (failed)" in capsys.readouterr().err


def test_real_pages_are_read_well():
    """A guard for the benchmark (bench/extraction.py): the labelled cwce pages."""
    from citydesk.core.testing import shared_data
    from citydesk.importers import extract

    folder = shared_data("extraction", "cwce")
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    scores = []
    for pid, expected in truth.items():
        found = extract.extract(extract.decode((folder / "pages" / f"{pid}.html").read_bytes()))
        got = "".join(b.get("text", "") for b in found.blocks)
        want = "".join(expected["body"].split())
        common = sum((Counter(got.replace(" ", "")) & Counter(want)).values())
        precision, recall = common / max(len(got.replace(" ", "")), 1), common / len(want)
        scores.append(2 * precision * recall / (precision + recall) if common else 0.0)
    assert sum(scores) / len(scores) >= 0.9


def test_pages_follow_one_another_and_stay_inside_their_folder(tmp_path, capsys):
    def pager(n: int) -> str:
        return '<div class="pages"><a href="?page=2">2</a> <a href="/">下一页</a>' + (
            f' <a href="wall_{n + 1}.html">下一页</a></div>' if n < 3 else "</div>"
        )

    secret = tmp_path.parent / "secret.jpg"
    secret.write_bytes(jpeg())
    for n, name in ((1, "wall.html"), (2, "wall_2.html"), (3, "wall_3.html")):
        text = PAGE.format(charset="gbk", pager=pager(n)).replace(
            "历时两年的古城墙修缮工程昨天完工", f"第{n}页：古城墙修缮工程完工"
        )
        text = text.replace("wall_files/wall.jpg", "../secret.jpg" if n == 1 else "/etc/hostname")
        (tmp_path / name).write_text(text, encoding="gbk")
    call_command("import", "html", str(tmp_path), "--format", "json")
    out = json.loads(capsys.readouterr().out.strip())
    assert out["page_count"] == 3
    assert not Image.objects.exists()  # neither ../secret.jpg nor /etc/hostname came in
    text = json.dumps(out["body"], ensure_ascii=False)
    assert "第3页：古城墙修缮工程完工" in text and "secret" not in text
