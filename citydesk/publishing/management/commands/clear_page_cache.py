"""`citydesk clear_page_cache`: empty the page cache after a deploy changed templates.

Publishing, edits and takedowns never need it: they purge exactly the URLs they change.
Pages are rendered anew, with the new templates, as readers ask for them.
"""

from typing import Any

from django.core.management.base import BaseCommand

from citydesk.publishing.cache import PageCache


class Command(BaseCommand):
    help = "Delete every page in the page cache (after a deploy that changed templates)."

    def handle(self, *args: Any, **options: Any) -> None:
        cache = PageCache()
        removed = cache.clear()
        self.stdout.write(f"已清空页面缓存 (page cache cleared): {removed} files in {cache.root}")
