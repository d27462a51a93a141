"""稿费: the month's report over all staff at 87,000 articles (issue #21: ≤ 2 s).

The corpus database (`_corpus.py`, 87,443 articles) is copied to a scratch folder, and
every article of its busiest month (2018-10 in Beijing time, about 9,100 articles) is
given a byline from a staff of 300: one to three writers, and a photographer where the
body has pictures (the corpora carry few bylines of their own). Then the report for that
month, over everyone, is timed in rounds, with one person's report and the CSV and XLSX
exports of the whole. Before char_count skipped parsing plain text: 1.9 s.

    .venv/bin/python bench/pay_report.py [--rounds 5]
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import corpus_data_dir, corpus_env
from _report import machine, write_section

HEADING = "## 稿费 report (`bench/pay_report.py`)"
MONTH = (date(2018, 10, 1), date(2018, 10, 31))  # the busiest, in Beijing time
STAFF = 300


def timed(work, rounds: int) -> tuple[float, float, object]:
    """(median, worst) seconds of `rounds` runs, and the last result."""
    seconds, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = corpus_data_dir()
    if corpus is None:
        print("skipped: ../shared/data/corpus is absent")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        for name in ("citydesk.sqlite3", "secret_key"):
            shutil.copy(corpus / name, scratch / name)
        os.environ.update(corpus_env(scratch), DJANGO_SETTINGS_MODULE="citydesk.settings")
        import django

        django.setup()
        from citydesk.content.models import Article, ArticleCredit, Person
        from citydesk.pay import export
        from citydesk.pay import report as pay
        from citydesk.pay.actions import set_rates

        # Bylines straight into the scratch copy: test data for a measurement, made in
        # bulk (through the door it would take as long as the import did).
        rng = random.Random(21)
        people = Person.objects.bulk_create(
            Person(name=f"记者{n:03d}", slug=f"bench-staff-{n}", organization=f"部门{n % 12}")
            for n in range(STAFF)
        )
        month = Article.objects.filter(
            published_at__date__gte=MONTH[0], published_at__date__lte=MONTH[1]
        ).values_list("pk", "body")
        credits = []
        for pk, body in month.iterator():
            writers = rng.sample(people, rng.choice((1, 1, 2, 3)))
            credits += [
                ArticleCredit(article_id=pk, person=p, role="writer", position=n)
                for n, p in enumerate(writers)
            ]
            if any(block.get("type") == "image" for block in body or []):
                shooter = rng.choice([p for p in people if p not in writers])
                credits.append(
                    ArticleCredit(article_id=pk, person=shooter, role="photographer", position=9)
                )
        ArticleCredit.objects.bulk_create(credits, batch_size=2000, ignore_conflicts=True)
        set_rates(None, date(2018, 1, 1), per_piece="80", per_thousand_chars="60",
                  per_photo="40", per_video="100", share="lead", lead_percent=60)  # fmt: skip
        pieces = Article.objects.filter(
            published_at__date__gte=MONTH[0], published_at__date__lte=MONTH[1]
        ).count()

        everyone = timed(lambda: pay.report(*MONTH), args.rounds)
        lines = everyone[2]
        assert isinstance(lines, list)
        one = timed(lambda: pay.report(*MONTH, person_id=people[0].pk), args.rounds)
        as_csv = timed(lambda: export.as_csv(lines), args.rounds)
        as_xlsx = timed(lambda: export.as_xlsx(lines, *MONTH), args.rounds)
        total = sum(line.rounded() for line in lines)
        print(f"{pieces} pieces, {len(lines)} people, {len(credits)} credits, total {total}")
        for name, (median, worst, _) in [
            ("everyone", everyone), ("one person", one), ("CSV", as_csv), ("XLSX", as_xlsx)
        ]:  # fmt: skip
            print(f"{name}: median {median:.3f} s, worst {worst:.3f} s")

    rows = [
        ("the month, everyone", everyone),
        ("the month, one person", one),
        ("CSV of everyone", as_csv),
        ("XLSX of everyone", as_xlsx),
    ]
    section = [
        HEADING,
        "",
        f"Measured by `bench/pay_report.py --rounds {args.rounds}` on {date.today()}: {machine()}.",
        "",
        f"The corpus database (87,443 articles) with bylines given to every article of "
        f"2018-10 ({pieces:,} pieces, {len(credits):,} credits, {STAFF} staff); "
        f"{len(lines)} lines, {total} yuan in all. Target: ≤ 2 s for the month over all "
        f"staff.",
        "",
        "| report | median | worst |",
        "|---|---:|---:|",
        *(f"| {name} | {m:.2f} s | {w:.2f} s |" for name, (m, w, _) in rows),
    ]
    write_section(HEADING, "\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
