from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand

from citydesk.content import images
from citydesk.content.models import Article, Topic


class Command(BaseCommand):
    help = (
        "Make the WebP renditions of article and topic covers stored without them (covers "
        "stored since get theirs at once); pages show them once rendered again "
        "(`citydesk clear_page_cache` renders every page afresh)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        made = 0
        for model in (Article, Topic):
            for item in model.objects.exclude(cover="").only("cover").iterator():
                last = images.cover_rendition_name(item.cover.name, images.COVER_WIDTHS[-1])
                if not default_storage.exists(last):
                    images.make_cover_renditions(item.cover)
                    made += 1
        self.stdout.write(f"made the renditions of {made} covers")
