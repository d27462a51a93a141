"""Rate limits counted in Django's cache (each process's memory by default, shared by
every process and node where CITYDESK_CACHE_URL names a Redis): fixed windows."""

import time

from django.core.cache import cache


def counted(key: str, seconds: int) -> tuple[int, float]:
    """This request's number in the current window of `seconds` for `key`, and the
    seconds until that window ends."""
    now = time.time()
    window = int(now // seconds)
    name = f"{key}:{seconds}:{window}"
    cache.add(name, 0, timeout=seconds * 2)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=seconds * 2)
        count = 1
    return count, (window + 1) * seconds - now
