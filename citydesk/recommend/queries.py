"""今日推荐: editors' picks first, topped up by an algorithm; and related articles
(at the end of this module).

The top-up scores recent live articles by recency (half of it gone every RECENCY_HALF_LIFE
hours), by readers' views of the last 24 hours (citydesk.rankings; log-scaled so that one
runaway story does not drown the rest) and by the editors' 推荐 flag, then picks greedily,
halving an article's score for each article of its channel already picked, so that the
box is not all one channel.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from citydesk.content import queries as content_queries
from citydesk.content.models import Article, ArticleCredit
from citydesk.core import fresh
from citydesk.core.text import Group, Query, Term, fold, segmenter
from citydesk.rankings.backends import get_backend
from citydesk.recommend.models import Pick
from citydesk.search.backends import get_backend as search_backend
from citydesk.search.backends.base import Filters

CANDIDATES = 200  # the newest live articles of each kind the top-up considers
RECENT_DAYS = 3
RECENCY_HALF_LIFE = 12.0  # hours
FLAG_BONUS = 2.0  # what the editors' 推荐 flag adds to a score
SAME_CHANNEL = 0.5  # each article already picked from a channel multiplies by this
FRESH_SECONDS = 30.0  # with the fragment's max-age, a pick shows within a minute


@dataclass(frozen=True)
class Scored:
    article: Article
    score: float
    channel: int | None


def picks(limit: int = 9) -> list[Article]:
    """The box: editors' live, unexpired picks, then the top-up; never an article that is
    not live (unpublished, retracted, scheduled for later). The choice is remembered for
    FRESH_SECONDS; whether each is live is read every time."""
    ids = fresh.remembered(("picks", limit), FRESH_SECONDS, lambda: [a.pk for a in choose(limit)])
    live = {a.pk: a for a in content_queries.cards(content_queries.live_among(ids))}
    return [live[pk] for pk in ids if pk in live]


def choose(limit: int) -> list[Article]:
    now = timezone.now()
    picked = list(Pick.objects.filter(expires_at__gt=now).values_list("article_id", flat=True))
    chosen = list(content_queries.cards(content_queries.live_among(picked)))
    order = {pk: n for n, pk in enumerate(picked)}
    chosen.sort(key=lambda a: order.get(a.pk, 0))
    chosen = chosen[:limit]
    if len(chosen) < limit:
        chosen += top_up(limit - len(chosen), exclude={a.pk for a in chosen})
    return chosen


def top_up(count: int, exclude: set[int]) -> list[Article]:
    now = timezone.now()
    live = content_queries.cards(content_queries.live()).prefetch_related("channels")
    # Two index walks (the publish-time index, the flag's partial index), not one OR.
    recent = list(live.filter(published_at__gte=now - timedelta(days=RECENT_DAYS))[:CANDIDATES])
    flagged = list(live.filter(is_recommended=True)[:CANDIDATES])
    unique = {a.pk: a for a in recent + flagged if a.pk not in exclude}
    candidates = list(unique.values())
    if not candidates:
        return []
    views = get_backend().views([a.pk for a in candidates], "day")
    most = max(views.values(), default=0)
    scored = []
    for a in candidates:
        assert a.published_at is not None
        age = max(0.0, (now - a.published_at).total_seconds() / 3600)
        recency = 0.5 ** (age / RECENCY_HALF_LIFE)
        popularity = math.log1p(views.get(a.pk, 0)) / math.log1p(most) if most else 0.0
        score = recency + popularity + (FLAG_BONUS if a.is_recommended else 0.0)
        channels = list(a.channels.all())
        scored.append(Scored(a, score, channels[0].pk if channels else None))
    chosen: list[Article] = []
    per_channel: dict[int | None, int] = {}
    while scored and len(chosen) < count:
        best = max(scored, key=lambda s: s.score * SAME_CHANNEL ** per_channel.get(s.channel, 0))
        scored.remove(best)
        chosen.append(best.article)
        per_channel[best.channel] = per_channel.get(best.channel, 0) + 1
    return chosen


# Related articles ---------------------------------------------------------------------

# A tag or person on more articles than this says little about what two share.
COMMON = 2000
MIN_SCORE = 1.0  # below this an article is filler, however few related ones there are
KEYWORD_WEIGHT = 3.0  # an article sharing the telling title words scores like one sharing tags
RARITY = 1.5
PERSON_WEIGHT = 0.5  # sharing a writer counts half as much as sharing a tag
RELATED_CANDIDATES = 30  # kept per article, so that those taken down leave enough


def _link_weights(links: QuerySet[Any], field: str) -> dict[int, float]:
    """Each linked thing's weight, rarer counting more (an idf, raised to RARITY so that a
    tag on three articles outweighs a common one and shared title words), common ones
    left out."""
    counts = links.values(field).annotate(n=Count("id")).values_list(field, "n")
    return {pk: math.log1p(COMMON / n) ** RARITY for pk, n in counts if n <= COMMON}


def title_keywords(article: Article) -> list[str]:
    """The title's words as the search index cuts them (no single characters, numbers)."""
    return sorted(
        {w for w in segmenter.words(fold(article.title)) if len(w) >= 2 and not w.isdigit()}
    )


def related(article: Article, limit: int = 6) -> list[Article]:
    """Live articles about the same thing: sharing tags, people (rarer ones weigh more)
    and title keywords (through search). None that only happen to be recent or popular:
    when nothing scores MIN_SCORE, the list is short or empty."""
    ids = fresh.remembered(
        ("related", article.pk), FRESH_SECONDS, lambda: _related(article, RELATED_CANDIDATES)
    )
    live = {a.pk: a for a in content_queries.cards(content_queries.live_among(ids))}
    return [live[pk] for pk in ids if pk in live][:limit]


def _related(article: Article, limit: int) -> list[int]:
    """The ids of the best `limit` candidates, best first; live or not (that is read at
    each use), so that articles taken down cannot crowd out the rest."""
    scores: dict[int, float] = defaultdict(float)
    # The article's own tags and people as lists first: one query each, then plain
    # "IN (1, 2, 3)" lookups that no planner gets wrong (a subquery here once took
    # PostgreSQL minutes on tables it had no statistics for yet).
    tag_links = Article.tags.through.objects
    own_tags = list(article.tags.values_list("pk", flat=True))
    tags = _link_weights(tag_links.filter(tag_id__in=own_tags), "tag_id")
    for other, tag in tag_links.filter(tag_id__in=list(tags)).values_list("article_id", "tag_id"):
        scores[other] += tags[tag]
    credits = ArticleCredit.objects
    own_people = list(article.credits.values_list("person_id", flat=True))
    people = _link_weights(credits.filter(person_id__in=own_people), "person_id")
    for other, person in credits.filter(person_id__in=list(people)).values_list(
        "article_id", "person_id"
    ):
        scores[other] += PERSON_WEIGHT * people[person]
    words = title_keywords(article)
    if words:
        # Any of the title's words, ranked by the search index's bm25: an article sharing
        # the telling ones scores near the article itself, one sharing a common word only,
        # near nothing.
        query = Query(raw=article.title, groups=[Group((Term(tuple((w,) for w in words)),))])
        found = search_backend().search(query, Filters(now=timezone.now()), limit=30, count=False)
        best = max((h.score for h in found.hits), default=0.0)
        for hit in found.hits:
            if best > 0:
                scores[hit.article_id] += KEYWORD_WEIGHT * hit.score / best
    scores.pop(article.pk, None)
    # Best first; of equals, the newer (a higher id) first.
    strongest = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:limit]
    return [pk for pk, score in strongest if score >= MIN_SCORE]
