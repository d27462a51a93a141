"""Content's own follow-ups: a library image's renditions, made after it is stored."""

from citydesk.content import actions
from citydesk.content.models import Image
from citydesk.core.tasks import Gone, follow_up


@follow_up(label="生成图片的缩略图", after_commit=False)  # seconds of encoding
def make_renditions(image_id: int) -> int:
    """The image's WebP renditions; an image deleted meanwhile ends the task quietly."""
    try:
        return actions.make_renditions(image_id)
    except Image.DoesNotExist:
        raise Gone(f"image {image_id} was deleted") from None


def connect() -> None:
    from citydesk.content import signals

    signals.image_saved.connect(make_renditions)
