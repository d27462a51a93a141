"""Uploaded pictures: what is accepted, and the renditions made of them.

`checked(content)` accepts a real JPEG, PNG, WebP or GIF within IMAGE_MAX_BYTES and
IMAGE_MAX_PIXELS, fully decoded once, so a truncated file or a decompression bomb (a
small file that expands to gigapixels) is refused with a message, never stored.

Renditions (SPECS: widths, and a 16:9 crop around the image's focal point for cards),
as WebP, are made by a task after the upload (citydesk.content.tasks), once per
image and spec, never on a reader's request.
"""

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image as PILImage
from PIL import ImageOps

from citydesk.content.models import Image

logger = logging.getLogger("citydesk.images")
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class Spec:
    width: int
    ratio: float | None = None  # width / height of a crop; None keeps the picture's shape


SPECS = {
    "w320": Spec(320),
    "w640": Spec(640),
    "w1080": Spec(1080),
    "card": Spec(640, 16 / 9),
}


class ImageError(ValueError):
    """An upload that is not an acceptable picture; the message says why, in Chinese."""


def max_bytes() -> int:
    return int(settings.CITYDESK_IMAGE_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.CITYDESK_IMAGE_MAX_PIXELS)


def checked(content: bytes) -> tuple[str, int, int]:
    """(format, width, height) of an acceptable picture, or ImageError."""
    if len(content) > max_bytes():
        raise ImageError(
            f"图片太大：{len(content) / 1024 / 1024:.1f} MB，最大 {max_bytes() // 1024 // 1024} MB"
        )
    if not content:
        raise ImageError("文件是空的")
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises at twice that; both refuse here.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(content)) as picture:
                kind, (width, height) = picture.format, picture.size
                if kind not in FORMATS:
                    raise ImageError(f"不支持的图片格式：{kind}，请上传 JPEG、PNG、WebP 或 GIF")
                if width * height > max_pixels():
                    raise ImageError(
                        f"图片像素太多：{width}×{height}，最多 {max_pixels() // 1_000_000} 百万像素"
                    )
                picture.load()  # decodes every pixel: a truncated or corrupt file fails here
    except ImageError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise ImageError("图片像素太多，疑似解压炸弹，已拒绝") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises for non-images
        raise ImageError("文件不是有效的图片，或已损坏") from exc
    return str(kind), width, height


def render(image: Image, spec: Spec) -> bytes:
    """The WebP bytes of `image` at `spec`: scaled down (never up), cropped to the spec's
    ratio around the focal point."""
    with image.file.open("rb") as handle, PILImage.open(handle) as source:
        picture = ImageOps.exif_transpose(source).convert("RGB")
    if spec.ratio is not None:
        w, h = picture.size
        crop_w, crop_h = (
            (w, round(w / spec.ratio)) if w / h < spec.ratio else (round(h * spec.ratio), h)
        )
        left = min(max(0, round(image.focal_x * w - crop_w / 2)), w - crop_w)
        top = min(max(0, round(image.focal_y * h - crop_h / 2)), h - crop_h)
        picture = picture.crop((left, top, left + crop_w, top + crop_h))
    if picture.width > spec.width:
        height = max(1, round(picture.height * spec.width / picture.width))
        picture = picture.resize((spec.width, height), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def url(image: Image, spec: str) -> str:
    """The rendition's URL, or the original's while the worker has not made it yet."""
    found = next((r for r in image.renditions.all() if r.spec == spec), None)
    return found.file.url if found is not None else image.file.url


def validate_upload(file: Any) -> None:
    """A model field validator: the upload is an acceptable picture (forms show why not)."""
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes():
        raise ValidationError(
            f"图片太大：{size / 1024 / 1024:.1f} MB，最大 {max_bytes() // 1024 // 1024} MB"
        )
    if getattr(file, "_committed", False):
        return  # already stored: checked when it was uploaded
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        checked(file.read())
    except ImageError as exc:
        raise ValidationError(str(exc)) from exc
    finally:
        file.seek(position)
