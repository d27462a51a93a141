"""Related articles: chosen by what articles share, never filler."""

import io
import json
import lzma

import pytest
from django.core.management import call_command

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Tag
from citydesk.core.testing import shared_data
from citydesk.recommend import queries

pytestmark = pytest.mark.django_db


def make(title: str, tags=(), credits=(), channel: str = "suzhou") -> Article:
    return actions.create_article(
        ArticleData(
            title=title, body=[], tags=list(tags), credits=list(credits), channels=[channel]
        ),
        status=Article.Status.PUBLISHED,
    )


def test_a_shared_rare_tag_or_keywords_relate_and_nothing_else_does(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows
        article = make("太湖蓝藻防控进入关键期", tags=["太湖治理"])
        same_tag = make("环湖湿地修复完成", tags=["太湖治理"])
        same_words = make("太湖蓝藻监测网覆盖全湖")  # shares the title's two longest words
        unrelated = make("地铁试行周末延时运营", tags=["轨道交通"])
        # An archive around them, so that words shared by few articles tell (idf).
        for n in range(30):
            make(f"城市快讯第{n}期：街区微更新持续推进", tags=[f"快讯{n}"])
    found = queries.related(article)
    assert same_tag in found and same_words in found
    assert unrelated not in found and article not in found


def test_no_filler_when_nothing_is_related(client):
    lonely = make("一篇独一无二的稿件", tags=["独有标签"])
    make("另一篇毫不相干的新闻", tags=["别的标签"])
    assert queries.related(lonely) == []
    html = client.get(f"/fragments/related/{lonely.pk}/").content.decode()
    assert 'data-fragment-box="related" hidden' in html


def test_a_related_article_taken_down_is_not_shown(client):
    article = make("古城街巷微更新", tags=["古城保护"])
    other = make("平江路修缮完工", tags=["古城保护"])
    assert queries.related(article) == [other]
    actions.do_retract_article(other)
    assert queries.related(article) == []  # remembered, but read live each time
    assert other.title not in client.get(f"/fragments/related/{article.pk}/").content.decode()


def test_the_article_page_links_its_related_fragment(client):
    article = make("古城街巷微更新", tags=["古城保护"])
    html = client.get(article.get_absolute_url()).content.decode()
    url = f"/fragments/related/{article.pk}/"
    assert f'data-fragment="{url}"' in html and f'<a href="{url}">' in html
    assert client.get("/fragments/related/999999/").status_code == 404


def test_corpus_articles_relate_to_those_sharing_their_keywords(tmp_path):
    """xwlb items whose editors tagged them alike: for an item sharing a rare keyword with
    others, those others are what it is related to, and every related item shares a
    keyword or title words with it."""
    source = shared_data("corpus", "xwlb_2012-2026_articles.jsonl.xz")
    with lzma.open(source, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(1500)]
    path = tmp_path / "head.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    call_command(
        "import", "jsonl", str(path), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO()
    )
    keywords: dict[str, list[str]] = {}
    for line in lines:
        record = json.loads(line)
        for word in record.get("keywords") or []:
            keywords.setdefault(word, []).append(record["title"])
    rare = [t for t, titles in keywords.items() if 2 <= len(titles) <= 4]
    assert len(rare) >= 20
    checked = 0
    for name in rare[:40]:
        tag = Tag.objects.filter(name=name).first()
        if tag is None:
            continue
        tagged = list(Article.objects.filter(tags=tag))
        article, others = tagged[0], set(tagged[1:])
        found = queries.related(article, limit=10)
        assert others <= set(found), (article.title, [a.title for a in others])
        mine = set(article.tags.values_list("pk", flat=True))
        words = set(queries.title_keywords(article))
        for a in found:
            shares_tag = bool(mine & set(a.tags.values_list("pk", flat=True)))
            shares_words = bool(words & set(queries.title_keywords(a)))
            shares_people = article.credits.filter(person__in=a.credits.values("person")).exists()
            assert shares_tag or shares_words or shares_people, (article.title, a.title)
        checked += 1
    assert checked >= 20
