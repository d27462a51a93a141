"""Rankings in Redis: sorted sets, for more than one machine.

    {prefix}s:{key}             the de-duplication: when the visitor's view last counted
    {prefix}h:{hour}[:c:{id}]   views in one hour (site-wide, per channel), kept 31 days
    {prefix}w:{span}[:c:{id}]   the sliding window's totals
    {prefix}roll:{span}         the window's first hour, as far as it has rolled

A batch is one Lua script, so Redis runs it whole and alone: no view is counted twice
or lost between the de-duplication and the counts, however many processes send. The keys
must not be evicted: use a Redis with `maxmemory-policy noeviction` (the default) or a
`volatile-*` policy on a database of its own for these.
"""

from collections.abc import Sequence
from typing import Any

from citydesk.core import startup
from citydesk.rankings.backends.base import (
    DEDUP_SECONDS,
    HOUR,
    WINDOWS,
    RankingBackend,
    View,
    check_window,
    hour_of,
)

RECORD = """
local p, now_hour, dedup, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local spans, i = {}, 6
for w = 1, tonumber(ARGV[5]) do spans[w] = {ARGV[i], tonumber(ARGV[i + 1])}; i = i + 2 end
local channels = redis.call('SMEMBERS', p .. 'channels')
local firsts = {}
for _, s in ipairs(spans) do
  local name, hours = s[1], s[2]
  local cut = now_hour - hours + 1
  local stored = redis.call('GET', p .. 'roll:' .. name)
  local done = tonumber(stored or cut)
  if done < cut then
    local suffixes = {''}
    for _, c in ipairs(channels) do suffixes[#suffixes + 1] = ':c:' .. c end
    for _, suffix in ipairs(suffixes) do
      local wkey = p .. 'w:' .. name .. suffix
      if cut - done >= hours then
        redis.call('DEL', wkey)
      else
        for h = done, cut - 1 do
          local hkey = p .. 'h:' .. h .. suffix
          if redis.call('EXISTS', hkey) == 1 then
            redis.call('ZUNIONSTORE', wkey, 2, wkey, hkey, 'WEIGHTS', 1, -1)
          end
        end
        redis.call('ZREMRANGEBYSCORE', wkey, '-inf', 0)
      end
    end
  end
  -- Never backwards: a batch with an older clock must not roll an hour out twice.
  if (not stored) or done < cut then redis.call('SET', p .. 'roll:' .. name, cut) end
  firsts[name] = math.max(done, cut)
end
local counted = 0
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local key, article, at, nch = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  local seen = p .. 's:' .. key
  local last = redis.call('GET', seen)
  if (not last) or at - tonumber(last) >= dedup then
    redis.call('SET', seen, at, 'EX', dedup)
    counted = counted + 1
    local hour = math.floor(at / 3600)
    local suffixes = {''}
    for c = 1, nch do
      suffixes[#suffixes + 1] = ':c:' .. ARGV[i]
      redis.call('SADD', p .. 'channels', ARGV[i])
      i = i + 1
    end
    for _, suffix in ipairs(suffixes) do
      local hkey = p .. 'h:' .. hour .. suffix
      redis.call('ZINCRBY', hkey, 1, article)
      redis.call('EXPIRE', hkey, ttl)
      for _, s in ipairs(spans) do
        if hour >= firsts[s[1]] then  -- not an hour already rolled out of the window
          redis.call('ZINCRBY', p .. 'w:' .. s[1] .. suffix, 1, article)
        end
      end
    end
  else
    i = i + nch
  end
end
return counted
"""


class RedisBackend(RankingBackend):
    """OPTIONS: URL (default redis://127.0.0.1:6379/0), PREFIX (default "citydesk:rank:")."""

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        import redis

        # Any: redis-py's annotations do not know what decode_responses=False gives back.
        self.client: Any = redis.Redis.from_url(self.options.get("URL", "redis://127.0.0.1:6379/0"))
        self.prefix: str = self.options.get("PREFIX", "citydesk:rank:")
        self._record = self.client.register_script(RECORD)

    def problem(self) -> str | None:
        import redis

        try:
            self.client.ping()
        except redis.RedisError as exc:
            address = self.client.connection_pool.connection_kwargs
            where = f"{address.get('host')}:{address.get('port')}/{address.get('db', 0)}"
            return f"Redis at {where} refused ({startup.reason(exc)})"
        return None

    def record(self, views: Sequence[View], now: float) -> int:
        args: list[Any] = [
            self.prefix,
            hour_of(now),
            DEDUP_SECONDS,
            (max(WINDOWS.values()) + 24) * HOUR,
        ]
        args.append(len(WINDOWS))
        for span, hours in WINDOWS.items():
            args += [span, hours]
        ordered = sorted(views, key=lambda v: v.at)
        args.append(len(ordered))
        for view in ordered:
            args += [view.key, view.article_id, int(view.at), len(view.channel_ids)]
            args += list(view.channel_ids)
        return int(self._record(args=args))

    def _window_key(self, window: str, channel_id: int | None) -> str:
        check_window(window)
        suffix = "" if channel_id is None else f":c:{channel_id}"
        return f"{self.prefix}w:{window}{suffix}"

    def top(
        self, window: str, *, channel_id: int | None = None, limit: int = 10
    ) -> list[tuple[int, int]]:
        key = self._window_key(window, channel_id)
        rows = self.client.zrevrange(key, 0, max(0, limit - 1), withscores=True)
        return [(int(member), int(score)) for member, score in rows][:limit]

    def views(self, article_ids: Sequence[int], window: str) -> dict[int, int]:
        ids = list(article_ids)
        if not ids:
            return {}
        scores = self.client.zmscore(self._window_key(window, None), ids)
        return {pk: int(s) for pk, s in zip(ids, scores, strict=True) if s}

    def _keys(self, pattern: str = "*") -> list[bytes]:
        return list(self.client.scan_iter(match=f"{self.prefix}{pattern}", count=1000))

    def clear(self) -> None:
        keys = self._keys()
        for start in range(0, len(keys), 1000):
            self.client.delete(*keys[start : start + 1000])

    def state_size(self) -> dict[str, int]:
        return {
            "seen": len(self._keys("s:*")),
            "bucket": len(self._keys("h:*")),
            "total": len(self._keys("w:*")),
            "used_memory": int(self.client.info("memory")["used_memory"]),
        }
