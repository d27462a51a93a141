"""A partner feed's poll as a durable task, queued by the worker when the feed is due."""

from citydesk.core.tasks import Gone, Policy, follow_up
from citydesk.feeds import actions
from citydesk.feeds.models import Feed

QUEUE = "feeds"  # a fetch may take its 20 s timeout: its own worker thread


# Not retried: the feed is due again after its interval, which is the retry; its errors
# are kept on the feed (last_error), where its editors look.
@follow_up(Policy(max_attempts=1), label="抓取合作方订阅源", queue=QUEUE)
def poll_feed(feed_id: int) -> dict[str, int]:
    feed = Feed.objects.filter(pk=feed_id, active=True).first()
    if feed is None:
        raise Gone(f"feed {feed_id} was deleted or switched off")
    result = actions.poll_recorded(feed)
    if result is None:
        return {"failed": 1}
    return {
        "imported": len(result.imported),
        "duplicates": result.duplicates,
        "failed": len(result.failed),
    }
