"""Exact under load: tens of thousands of beacons at a running `citydesk serve`, from
several processes at once, and the stored counts equal the de-duplicated ones exactly.
On both backends: the server's SQLite database, and Redis."""

import http.client
import multiprocessing
import sqlite3
import time

import pytest

from citydesk.portal.tests.served import citydesk_serve

PROCESSES = 4
VISITORS = 1000  # per process; each reads every article twice (the second is not a view)
REPEATS = 2


def send(port: int, worker: int, article_ids: list[int]) -> dict[int, int]:
    """One reader process: every visitor posts every article's beacon REPEATS times."""
    statuses: dict[int, int] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for visitor in range(VISITORS):
        # Distinct readers: each its own address (through the trusted proxy header, as
        # behind nginx); one address counts only a few views, whatever its agent says.
        headers = {
            "User-Agent": f"Mozilla/5.0 (load test; worker {worker}; reader {visitor})",
            "X-Forwarded-For": f"10.{worker}.{visitor // 256}.{visitor % 256}",
        }
        for _ in range(REPEATS):
            for pk in article_ids:
                conn.request("POST", f"/beacon/view/{pk}/", headers=headers)
                response = conn.getresponse()
                response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
    conn.close()
    return statuses


def fire(port: int, article_ids: list[int]) -> dict[int, int]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(send, [(port, w, article_ids) for w in range(PROCESSES)])
    total: dict[int, int] = {}
    for statuses in results:
        for status, n in statuses.items():
            total[status] = total.get(status, 0) + n
    return total


def wait_for(read, expected, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while (got := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def database_counts(data_dir, ids) -> dict[int, int]:
    with sqlite3.connect(data_dir / "citydesk.sqlite3", timeout=30) as db:
        rows = db.execute("SELECT article_id, views FROM rankings_total WHERE span = 'day'")
        return {a: v for a, v in rows if a in ids}


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_counts_are_exact_under_load_from_several_processes(tmp_path, backend, request):
    env = {"CITYDESK_RANKING_BACKEND": backend, "CITYDESK_TRUST_X_FORWARDED_FOR": "1"}
    if backend == "redis":
        import redis

        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        env["CITYDESK_REDIS_URL"] = url
    with citydesk_serve(tmp_path, workers=2, env=env) as served:
        ids = served.article_ids
        statuses = fire(served.port, ids)
        sent = PROCESSES * VISITORS * REPEATS * len(ids)
        assert sent >= 20_000
        assert statuses == {204: sent}
        expected = {pk: PROCESSES * VISITORS for pk in ids}
        if backend == "redis":
            client = redis.Redis.from_url(url)

            def read() -> dict[int, int]:
                scores = client.zmscore("citydesk:rank:w:day", [str(pk) for pk in ids])
                return {pk: int(s) for pk, s in zip(ids, scores, strict=True) if s}
        else:

            def read() -> dict[int, int]:
                return database_counts(served.data_dir, set(ids))

        assert wait_for(read, expected) == expected
