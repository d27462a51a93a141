"""Uploaded pictures: what is accepted, and the renditions made of them.

`checked(content)` accepts a real JPEG, PNG, WebP or GIF within IMAGE_MAX_BYTES and
IMAGE_MAX_PIXELS, fully decoded once, so a truncated file or a decompression bomb (a
small file that expands to gigapixels) is refused with a message, never stored.
`cleaned(content)` is what is stored of it: the pixels encoded again, nothing else.

Renditions (SPECS: widths, and a 16:9 crop around the image's focal point for cards),
as WebP, are made by a task after the upload (citydesk.content.tasks), once per
image and spec, never on a reader's request.

An article's or a topic's cover is shown small (a list's 116 px thumbnail) and large (the
headline): `make_cover_renditions` stores WebP copies at COVER_WIDTHS when the cover is
stored, beside no model of their own (their names follow from the cover's), and
`cover_srcset` offers them to the browser.
"""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
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


def cleaned(content: bytes) -> bytes:
    """An acceptable picture (see `checked`) decoded and encoded again, in its format: what
    is stored is pixels only. Bytes after the image (an HTML or script polyglot) and the
    metadata (EXIF, with a camera's GPS position) are gone; the EXIF orientation is
    applied to the pixels; the colour profile is kept. The upload itself is kept, outside
    the public media, only when CITYDESK_KEEP_ORIGINAL_UPLOADS says so."""
    kind, _width, _height = checked(content)
    out = io.BytesIO()
    try:
        with PILImage.open(io.BytesIO(content)) as picture:
            _encode(picture, kind, out)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError) as exc:  # a later frame truncated or corrupt
        raise ImageError("文件不是有效的图片，或已损坏") from exc
    if getattr(settings, "CITYDESK_KEEP_ORIGINAL_UPLOADS", False):
        _keep_original(content, FORMATS[kind])
    return out.getvalue()


def _encode(picture: PILImage.Image, kind: str, out: io.BytesIO) -> None:
    # The colour profile is kept (colours depend on it); every other chunk of metadata
    # (EXIF, XMP, comments) is left behind.
    icc = picture.info.get("icc_profile")
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if kind == "GIF":
        # Every frame, with its timing; a GIF carries no EXIF to apply. Each frame is
        # decoded whole: their pixels together count against the limit.
        frames = getattr(picture, "n_frames", 1)
        if frames * picture.width * picture.height > max_pixels():
            raise ImageError(f"动图的帧太多：{frames} 帧，超过像素上限")
        picture.info.pop("comment", None)
        picture.save(out, "GIF", save_all=frames > 1, loop=picture.info.get("loop", 0), comment=b"")
    else:
        upright = ImageOps.exif_transpose(picture)
        if kind == "JPEG":
            if upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
            upright.save(out, "JPEG", quality=92, **extra)
        elif kind == "WEBP":
            upright.save(out, "WEBP", quality=90, **extra)
        else:
            upright.save(out, "PNG", **extra)


def _keep_original(content: bytes, extension: str) -> None:
    folder = Path(settings.DATA_DIR) / "originals"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(content).hexdigest()[:32]
    (folder / f"{name}.{extension}").write_bytes(content)


def cleaned_upload(file: Any) -> Any:
    """A form's uploaded picture, checked and `cleaned`, under its own name; or the
    form's ValidationError saying why not. A file already stored is returned as it is."""
    if getattr(file, "_committed", False):
        return file
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes():
        raise ValidationError(
            f"图片太大：{size / 1024 / 1024:.1f} MB，最大 {max_bytes() // 1024 // 1024} MB"
        )
    file.seek(0)
    try:
        return ContentFile(cleaned(file.read()), name=Path(file.name or "image").name)
    except ImageError as exc:
        raise ValidationError(str(exc)) from exc


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
    return _webp(picture, spec.width)


def _webp(picture: PILImage.Image, width: int) -> bytes:
    """`picture` scaled down (never up) to `width`, as WebP."""
    if picture.width > width:
        height = max(1, round(picture.height * width / picture.width))
        picture = picture.resize((width, height), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


# A list's thumbnail (116 CSS px, ~2x on phones), a phone's full width, a desktop's
# headline.
COVER_WIDTHS = (240, 480, 960)


def cover_rendition_name(cover: str | None, width: int) -> str:
    """Where the cover stored as `cover` (a name in the media storage) has its `width`."""
    # The whole name, extension and all: photo.jpg and photo.png are two covers.
    return f"renditions/{cover or ''}-w{width}.webp"


def make_cover_renditions(cover: FieldFile) -> None:
    """Store the cover's WebP copies at COVER_WIDTHS (replacing any of the same name).
    A cover that cannot be decoded (stored before uploads were checked) keeps none."""
    try:
        with cover.open("rb") as handle, PILImage.open(handle) as source:
            picture = ImageOps.exif_transpose(source).convert("RGB")
    except (OSError, PILImage.DecompressionBombError) as exc:
        logger.warning("cover %s has no renditions: %s", cover.name, exc)
        return
    for width in COVER_WIDTHS:
        name = cover_rendition_name(cover.name, width)
        default_storage.delete(name)
        default_storage.save(name, ContentFile(_webp(picture, width)))


def cover_srcset(cover: str | None) -> str:
    """The cover's renditions as an img srcset, or "" while it has none (a cover stored
    before they were made: `citydesk cover_renditions` makes them)."""
    if not cover or not default_storage.exists(cover_rendition_name(cover, COVER_WIDTHS[-1])):
        return ""
    return ", ".join(
        f"{default_storage.url(cover_rendition_name(cover, w))} {w}w" for w in COVER_WIDTHS
    )


def url(image: Image, spec: str) -> str:
    """The rendition's URL, or the original's while the worker has not made it yet."""
    found = next((r for r in image.renditions.all() if r.spec == spec), None)
    return found.file.url if found is not None else image.file.url
