"""The text pipeline that indexing and querying share."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citydesk.core import text
from citydesk.core.text import Segmenter, bigram_runs, char_set, fold, parse_query


@pytest.fixture
def segmenter(monkeypatch):
    """A private segmenter, so a test's dictionary never leaks into another test."""
    fresh = Segmenter()
    monkeypatch.setattr(text, "segmenter", fresh)
    return fresh


def test_fold_width_case_and_traditional():
    assert fold("ＧＤＰ　２０２０") == "gdp 2020"
    assert fold("蘇州市委") == "苏州市委"
    assert fold("中國農業發展銀行") == "中国农业发展银行"
    assert fold("ｶﾀｶﾅ") == "カタカナ"  # half-width katakana: one form with full width


def test_fold_survives_what_c_libraries_choke_on():
    assert fold("苏\x00州\ud800") == "苏 州 "


def test_offsets_point_back_at_the_original_characters():
    original = "蘇州ＧＤＰ增長"
    folded, offsets = text.fold_with_offsets(original)
    assert folded == "苏州gdp增长"
    assert [original[i] for i in offsets] == list(original)


def test_index_has_sub_words_and_words_across_the_cut(segmenter):
    tokens = text.index_text("中国农业发展银行").split()
    assert "农业" in tokens and "农业发展银行" in tokens
    # 苏州市委 cuts as 苏州/市委 or 苏州市/委 depending on context; both words are there.
    tokens = text.index_text("苏州市委十二届十一次全会").split()
    assert {"苏州", "市委", "苏州市"} <= set(tokens)


def test_index_starts_with_the_accurate_cut_in_order(segmenter):
    tokens = text.index_text("营造最优营商环境").split()
    cut = segmenter.words("营造最优营商环境")
    assert tokens[: len(cut)] == cut
    assert "营商" in cut and "环境" in cut


def test_latin_is_case_folded_and_punctuation_dropped(segmenter):
    assert text.index_text("GDP迈上2万亿元，COVID-19").split()[:6] == [
        "gdp",
        "迈",
        "上",
        "2",
        "万亿元",
        "covid",
    ]


def test_local_words_stay_whole_and_can_be_removed(segmenter):
    assert "沪苏同城化" not in text.index_text("推进沪苏同城化").split()
    segmenter.use_words(["沪苏同城化", "姑苏区"])
    assert "沪苏同城化" in text.index_text("推进沪苏同城化").split()
    segmenter.use_words(["姑苏区"])
    assert "沪苏同城化" not in text.index_text("推进沪苏同城化").split()
    assert segmenter.local_words == frozenset({"姑苏区"})


def test_local_words_are_folded_and_split_at_separators(segmenter):
    segmenter.use_words(["劳尔·卡斯特罗", "蘇州灣", "x"])
    assert segmenter.local_words == frozenset({"劳尔", "卡斯特罗", "苏州湾"})


def test_query_for_a_new_word_also_matches_how_an_older_index_cut_it(segmenter):
    old_index = text.index_text("全面推进沪苏同城化").split()
    segmenter.use_words(["沪苏同城化"])
    (group,) = parse_query("沪苏同城化").groups
    (term,) = group.terms
    whole, pieces = term.alternatives
    assert whole == ("沪苏同城化",)
    # The pieces stand in the old index in a row, so the phrase finds the article.
    start = old_index.index(pieces[0])
    assert tuple(old_index[start : start + len(pieces)]) == pieces


def test_query_groups_terms_and_phrase(segmenter):
    query = parse_query("蘇州 营商环境")
    assert [[t.alternatives[0] for t in g.terms] for g in query.groups] == [
        [("苏州",)],
        [("营商",), ("环境",)],
    ]
    assert query.groups[1].phrase == ("营商", "环境")
    # What stands between spaces is also a fragment, folded; highlighting marks both.
    assert query.fragments == ("苏州", "营商环境")
    assert query.words() == ["苏州", "营商环境", "营商", "环境"]


def test_highlighting_leaves_out_characters_split_off_a_fragment(segmenter):
    split = parse_query("苏州城更")
    assert any(len(t.alternatives[0][0]) == 1 for g in split.groups for t in g.terms)
    assert split.words() == ["苏州城更", "苏州城"]
    # A character the reader typed alone is marked.
    assert parse_query("城 更新").words() == ["城", "更新"]


@pytest.mark.parametrize(
    "raw",
    ['"', "'", "((", ")", "a AND", "OR NOT", "NEAR(", "*", "^", ":", "\\", "title:x", "😀", ""],
)
def test_query_syntax_is_just_text(raw, segmenter):
    query = parse_query(raw)
    for word in query.words():
        assert word.isalnum()


def test_empty_and_long_queries_say_why(segmenter):
    assert parse_query("😀 \x00 ...").notice == text.EMPTY_NOTICE
    long = parse_query("苏州" * 5000)
    assert long.notice.startswith("搜索词过长")
    assert sum(len(g.terms) for g in long.groups) <= text.MAX_QUERY_TERMS


def test_prefix_marks_the_last_word_only(segmenter):
    query = parse_query("苏州 数字", prefix=True)
    flags = [t.prefix for g in query.groups for t in g.terms]
    assert flags == [False, True]


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_string_parses_to_plain_tokens(raw):
    query = parse_query(raw)
    assert query.is_empty == (not query.groups)
    for word in query.words():
        assert word and word.isalnum() and len(word) <= text.MAX_TOKEN_CHARS


def test_highlight_spans_find_folded_words_in_the_original():
    original = "蘇州ＧＤＰ增長，苏州"
    spans = text.highlight_spans(original, ["苏州", "gdp"])
    assert [original[s:e] for s, e, _w in spans] == ["蘇州", "ＧＤＰ", "苏州"]


def test_words_can_be_added_while_other_threads_cut(segmenter):
    import threading

    long_text = "苏州市委十二届十一次全会侧记，营造最优营商环境。" * 3000
    errors = []

    def cut():
        try:
            for _ in range(4):
                segmenter.index_tokens(long_text)
        except Exception as exc:  # "Already borrowed" from rjieba without the lock
            errors.append(exc)

    threads = [threading.Thread(target=cut) for _ in range(2)]
    for thread in threads:
        thread.start()
    for n in range(1, 400):
        segmenter.use_words([f"新词{i}号" for i in range(n)])
    for thread in threads:
        thread.join()
    assert errors == []
    assert "新词398号" in segmenter.local_words


def test_bigrams_of_each_run_and_the_characters():
    folded = fold("沪苏同城，化 GDP")
    assert bigram_runs(folded) == [["沪苏", "苏同", "同城"], ["gd", "dp"]]  # 化 alone: none
    assert char_set(folded) == sorted("沪苏同城化gdp")
    assert parse_query("沪苏同城， 化").fragments == ("沪苏同城", "化")
