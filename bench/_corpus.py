"""A data dir holding the full xwlb and sina corpora (~87,000 articles), for benchmarks.

Built once with `citydesk migrate` and `citydesk import jsonl` and kept under var/ (which
git ignores), so a second benchmark run starts at once. Benchmarks that need a large
database share it:

    from _corpus import corpus_data_dir
    data_dir = corpus_data_dir()  # None when ../shared/data/corpus is absent
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "bench"
CORPUS = ROOT.parent / "shared" / "data" / "corpus"
FILES = ["xwlb_2012-2026_articles.jsonl.xz", "sina_2018_articles.jsonl.xz"]
# Both corpora hold 87,443 articles; a dir with fewer was interrupted mid-import.
EXPECTED_ARTICLES = 87_000


def corpus_env(data_dir: Path = DATA_DIR) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env["CITYDESK_DATA_DIR"] = str(data_dir)
    return env


def article_count(data_dir: Path = DATA_DIR) -> int:
    db = data_dir / "citydesk.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM content_article").fetchone()[0])
    except sqlite3.Error:
        return 0


def corpus_data_dir(data_dir: Path = DATA_DIR) -> Path | None:
    """The data dir with both corpora imported (importing them the first time)."""
    paths = [CORPUS / name for name in FILES]
    if not all(p.exists() for p in paths):
        return None
    env = corpus_env(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    def citydesk(*args: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "citydesk", *args], cwd=ROOT, env=env)
        # The import exits 1 when some lines failed; the rest is stored.
        if proc.returncode not in (0, 1) or (proc.returncode and args[0] != "import"):
            raise SystemExit(f"citydesk {' '.join(args)} exited {proc.returncode}")

    # Always migrate: a migration added since the last run must reach this database too.
    citydesk("migrate", "--verbosity", "0")
    if article_count(data_dir) < EXPECTED_ARTICLES:
        print(f"importing the corpora into {data_dir.relative_to(ROOT)} (once) ...", flush=True)
        citydesk("import", "jsonl", *map(str, paths))
    return data_dir


if __name__ == "__main__":
    print(corpus_data_dir())
