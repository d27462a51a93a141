"""`citydesk clear_page_cache`: empty the page cache after a deploy changed templates,
and the shared caches that purge by key (Varnish, a CDN) of every page (the key `all`).

Publishing, edits and takedowns never need it: they purge exactly the URLs they change.
Pages are rendered anew, with the new templates, as readers ask for them.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from citydesk.publishing import keys
from citydesk.publishing.backends import purge_backends
from citydesk.publishing.cache import PageCache


class Command(BaseCommand):
    help = "Delete every page in the page cache (after a deploy that changed templates)."

    def handle(self, *args: Any, **options: Any) -> None:
        cache = PageCache()
        removed = cache.clear()
        self.stdout.write(f"已清空页面缓存 (page cache cleared): {removed} files in {cache.root}")
        shared = [backend for backend in purge_backends.all() if backend.by_key]
        for backend in shared:
            try:
                backend.purge_keys([keys.EVERYTHING])
            except Exception as exc:  # say which, and go on with the others
                raise CommandError(f"{backend!r} could not purge every page: {exc}") from exc
        if shared:
            self.stdout.write(f"已清空共享缓存 (shared caches cleared): {len(shared)}")
