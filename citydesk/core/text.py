"""Chinese text for search: the one pipeline that indexing and querying both run.

    fold        NFKC (full-width ＧＤＰ and half-width ｶﾀｶﾅ become one form), case folding,
                traditional to simplified (OpenCC t2s: 蘇州 -> 苏州)
    segment     rjieba's accurate cut without the HMM (so a word is cut the same way in a
                two-word query as in a long article), with a local dictionary of names and
                places on top of jieba's own
    index       the accurate cut in order, then every other dictionary word found in the
                text (jieba's full mode): sub-words (农业 in 中国农业发展银行) and words that
                straddle the accurate cut (市委 in 苏州市/委) are indexed too
    query       each query word must match; a multi-word chunk also scores as a phrase
    fragments   what a reader typed, as character sequences: overlapping bigrams (and the
                set of single characters) of folded text, so that a piece of a headline
                cut in the middle of a word is still found (see docs/search.md)

The local dictionary (`Segmenter.use_words`) changes at run time. A word added after an
article was indexed is still found in it: the query matches a local word either whole or
as the phrase of the pieces jieba's own dictionary cuts it into, which is how the older
index holds it. Only ranking is a little weaker until that article is indexed again.

Why rjieba and not jieba: the same cut (identical on the xwlb corpus with the HMM off),
about ten times faster; see docs/benchmarks.md.
"""

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import opencc
    import rjieba

# A token is a run of letters and digits; everything else separates tokens. This is what
# SQLite's tokenizers and PostgreSQL's parser also treat as word characters, so a token
# we write is never split again by the database.
MAX_TOKEN_CHARS = 60  # PostgreSQL drops lexemes over 2 KB; nobody types a 60-character word
_TOKEN = re.compile(rf"[^\W_]{{1,{MAX_TOKEN_CHARS}}}")
_LONGER_TOKEN = re.compile(rf"[^\W_]{{2,{MAX_TOKEN_CHARS}}}")
_RUN = re.compile(r"[^\W_]+")
# Characters that the C libraries below must never see (OpenCC cannot encode surrogates).
_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 16
MAX_FRAGMENTS = 8
LOCAL_WORD_MAX_CHARS = 30


# ---------------------------------------------------------------------------------------
# Folding


@cache
def _t2s() -> "opencc.OpenCC":
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """One form for text that a reader would call the same: width, case, 繁/简."""
    text = _UNSAFE.sub(" ", text)
    return _t2s().convert(unicodedata.normalize("NFKC", text).casefold())


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index of the original character
    it came from; highlighting finds words in the folded text and marks the original."""
    folded = fold(text)
    if len(folded) == len(text):
        # Nearly always so for Chinese news: every character folds to one character.
        return folded, list(range(len(text)))
    pieces: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(_UNSAFE.sub(" ", text)):
        folded = unicodedata.normalize("NFKC", ch).casefold()
        pieces.append(folded)
        offsets.extend([i] * len(folded))
    joined = "".join(pieces)
    converted = _t2s().convert(joined)
    if len(converted) != len(joined):
        # A phrase rule changed the length: convert character by character instead, which
        # keeps the offsets at the cost of OpenCC's phrase rules.
        converted = "".join(_t2s().convert(ch) if ch.strip() else ch for ch in joined)
        if len(converted) != len(joined):
            converted = joined
    return converted, offsets


def tokens_of(text: str) -> list[str]:
    """Letter-and-digit runs of already-segmented text (a longer run is cut in pieces)."""
    return _TOKEN.findall(text)


# ---------------------------------------------------------------------------------------
# Segmentation


def _new_jieba() -> "rjieba.Jieba":
    import rjieba

    return rjieba.Jieba()  # jieba's dictionary is compiled into the wheel: no downloads


@cache
def _jieba_only() -> "rjieba.Jieba":
    """jieba's own dictionary and nothing else; never changed, so shared."""
    return _new_jieba()


def clean_local_word(word: str) -> list[str]:
    """The dictionary entries a name gives: folded, split at separators (劳尔·卡斯特罗 gives
    劳尔 and 卡斯特罗), each of 2 to 30 characters."""
    return [t for t in _TOKEN.findall(fold(word)) if 2 <= len(t) <= LOCAL_WORD_MAX_CHARS]


class Segmenter:
    """rjieba with a local dictionary that can grow and shrink while the process runs."""

    def __init__(self) -> None:
        # rjieba lets go of the GIL while it cuts, and add_word during a cut raises
        # "Already borrowed": cuts and additions on the instance take turns.
        self._lock = threading.RLock()
        self._jieba: rjieba.Jieba | None = None
        self._words: frozenset[str] = frozenset()

    def _current(self) -> "rjieba.Jieba":
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    jieba = _new_jieba()
                    for word in self._words:
                        jieba.add_word(word, None, None)
                    self._jieba = jieba
        return self._jieba

    def _jieba_only(self) -> "rjieba.Jieba":
        return _jieba_only()

    @property
    def local_words(self) -> frozenset[str]:
        return self._words

    def use_words(self, words: Iterable[str]) -> None:
        """Make `words` the local dictionary (replacing the last one)."""
        wanted = frozenset(w for word in words for w in clean_local_word(word))
        if wanted == self._words:
            return
        with self._lock:
            if self._jieba is not None and self._words <= wanted:
                for word in wanted - self._words:
                    self._jieba.add_word(word, None, None)
            else:
                # rjieba cannot forget a word: a removal means a fresh instance.
                jieba = _new_jieba()
                for word in wanted:
                    jieba.add_word(word, None, None)
                self._jieba = jieba
            self._words = wanted

    def words(self, folded: str) -> list[str]:
        """The accurate cut of folded text, letters and digits only."""
        with self._lock:
            pieces = self._current().cut(folded, False)
        return tokens_of(" ".join(pieces))

    def index_tokens(self, folded: str) -> list[str]:
        """The accurate cut, then the other dictionary words in the text (see module doc)."""
        with self._lock:
            jieba = self._current()
            cut, everything = jieba.cut(folded, False), jieba.cut_all(folded)
        primary = tokens_of(" ".join(cut))
        known = set(primary)
        # Full mode lists every dictionary word in the text (and every single character).
        longer = _LONGER_TOKEN.findall(" ".join(everything))
        return primary + [t for t in longer if t not in known]

    def base_pieces(self, word: str) -> list[str]:
        """How jieba's own dictionary, without the local words, cuts `word`."""
        return tokens_of(" ".join(self._jieba_only().cut(word, False)))


segmenter = Segmenter()


def index_text(text: str) -> str:
    """Text as the index stores it: folded, segmented, tokens joined by spaces."""
    return index_words(fold(text))


def index_words(folded: str) -> str:
    """Already folded text as the word index stores it (see `index_text`)."""
    return " ".join(segmenter.index_tokens(folded))


# ---------------------------------------------------------------------------------------
# Character sequences
#
# Words alone miss what readers paste: a piece of a headline cut inside a word (营商环 of
# 营商环境). The character index holds every pair of neighbouring letters or digits (the
# bigrams that Elasticsearch's cjk analyzer makes), so a fragment of two or more
# characters is the phrase of its bigrams; a one-character fragment is looked up among the
# characters a text has. The backends keep runs of letters and digits apart, so that a
# phrase never matches across punctuation.


def bigram_runs(folded: str) -> list[list[str]]:
    """Overlapping pairs of characters of each run of letters and digits of folded text
    (a run of one character has none)."""
    return [list(map(str.__add__, r, r[1:])) for r in _RUN.findall(folded) if len(r) > 1]


def char_set(folded: str) -> list[str]:
    """Every letter and digit of folded text, once each, in order of code point."""
    return sorted({c for r in _RUN.findall(folded) for c in r})


# ---------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class Term:
    """One query word: a document matches it when it has any of the alternatives, each a
    phrase of one or more tokens. `prefix` makes the last token a prefix (as you type)."""

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False


@dataclass(frozen=True)
class Group:
    """What a reader typed between spaces or punctuation: every term must match; when there
    is more than one, the terms in order also score as a phrase."""

    terms: tuple[Term, ...]

    @property
    def phrase(self) -> tuple[str, ...]:
        if len(self.terms) < 2 or any(t.prefix for t in self.terms):
            return ()
        return tuple(t.alternatives[0][0] for t in self.terms)


@dataclass
class Query:
    """A reader's query two ways: as words (`groups`) and as the character sequences
    between spaces and punctuation (`fragments`, folded); a backend ranks articles holding
    the fragments above those holding the words (see docs/search.md)."""

    raw: str
    groups: list[Group] = field(default_factory=list)
    notice: str = ""  # why the query was cut short or is empty, for the reader
    fragments: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.fragments

    def words(self) -> list[str]:
        """Every fragment and token a match may show, for highlighting. A character the
        segmenter split off a longer fragment (更 of 城市更新计划) is left out: alone it
        would mark that character all over a snippet; within its fragment it is marked."""
        seen: dict[str, None] = dict.fromkeys(self.fragments)
        for group in self.groups:
            for term in group.terms:
                for alternative in term.alternatives:
                    seen.update(dict.fromkeys(alternative))
        return [w for w in seen if len(w) > 1 or w in self.fragments]


EMPTY_NOTICE = "请输入要搜索的字词"


def parse_query(raw: str, *, prefix: bool = False) -> Query:
    """A reader's query as terms; never fails, whatever the string holds."""
    query = Query(raw=raw)
    text = raw
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        query.notice = f"搜索词过长，只用了前 {MAX_QUERY_CHARS} 个字"
    chunks = _TOKEN.findall(fold(text))
    query.fragments = tuple(dict.fromkeys(chunks))[:MAX_FRAGMENTS]
    local = segmenter.local_words
    seen: set[Term] = set()
    count = 0
    for c, chunk in enumerate(chunks):
        words = segmenter.words(chunk)
        terms: list[Term] = []
        for w, word in enumerate(words):
            last = prefix and c == len(chunks) - 1 and w == len(words) - 1
            alternatives: list[tuple[str, ...]] = [(word,)]
            if word in local and not last:
                pieces = tuple(segmenter.base_pieces(word))
                if pieces and pieces != (word,):
                    alternatives.append(pieces)
            term = Term(tuple(alternatives), prefix=last)
            if term in seen:
                continue
            if count >= MAX_QUERY_TERMS:
                query.notice = f"搜索词过多，只用了前 {MAX_QUERY_TERMS} 个词"
                break
            seen.add(term)
            terms.append(term)
            count += 1
        if terms:
            query.groups.append(Group(tuple(terms)))
        if count >= MAX_QUERY_TERMS:
            break
    if not query.groups and not query.notice:
        query.notice = EMPTY_NOTICE
    return query


# ---------------------------------------------------------------------------------------
# Highlighting


def highlight_spans(text: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where the query's words occur in `text`: (start, end, folded word), in order, as
    positions in `text` itself (the words are folded, the text need not be)."""
    wanted = sorted({w for w in words if w}, key=len, reverse=True)
    if not wanted or not text:
        return []
    folded, offsets = fold_with_offsets(text)
    pattern = re.compile("|".join(map(re.escape, wanted)))
    spans: list[tuple[int, int, str]] = []
    for m in pattern.finditer(folded):
        start, end = offsets[m.start()], offsets[m.end() - 1] + 1
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end, m.group()))
    return spans
