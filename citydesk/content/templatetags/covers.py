"""`{% cover_srcset cover sizes %}`: a cover's WebP renditions for an <img> (images.py)."""

from django import template
from django.db.models.fields.files import FieldFile
from django.utils.html import format_html

from citydesk.content import images

register = template.Library()


@register.simple_tag
def cover_srcset(cover: FieldFile | None, sizes: str) -> str:
    """` srcset="…" sizes="…"`, or nothing while the cover has no renditions (the <img>'s
    src, the cover as uploaded, is shown then)."""
    srcset = images.cover_srcset(cover.name if cover else None)
    return format_html(' srcset="{}" sizes="{}"', srcset, sizes) if srcset else ""
