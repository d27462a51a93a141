"""What is stored of an upload is its pixels: a polyglot's trailing HTML, EXIF and its GPS
position are gone, and the EXIF orientation is applied; the upload itself is kept only
when CITYDESK_KEEP_ORIGINAL_UPLOADS asks for it. Every way in: the door's actions, the
admin's image form, the newsroom's image upload and cover."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage

from citydesk.content import actions, images
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Image
from citydesk.newsroom.roles import GROUPS, Role

pytestmark = pytest.mark.django_db

POLYGLOT_TAIL = b"<html><script>alert(document.cookie)</script></html>"
GPS = 0x8825  # the EXIF GPS IFD
ORIENTATION = 0x0112


def gif_polyglot() -> bytes:
    out = io.BytesIO()
    PILImage.new("P", (40, 30), 3).save(out, "GIF")
    return out.getvalue() + POLYGLOT_TAIL


def jpeg_with_gps(size=(80, 40), orientation: int = 6) -> bytes:
    """A photo as a phone takes it: GPS tags (31°18′N 120°37′E, 苏州) and an orientation
    (6: the pixels lie on their side, to be turned 90° clockwise)."""
    exif = PILImage.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "ReporterPhone"  # Make
    gps = exif.get_ifd(GPS)
    gps[1], gps[2] = "N", (31.0, 18.0, 0.0)
    gps[3], gps[4] = "E", (120.0, 37.0, 0.0)
    out = io.BytesIO()
    picture = PILImage.new("RGB", size, (200, 30, 30))
    picture.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def assert_clean(content: bytes, fmt: str) -> PILImage.Image:
    assert POLYGLOT_TAIL not in content and b"<script" not in content
    assert b"ReporterPhone" not in content
    picture = PILImage.open(io.BytesIO(content))
    assert picture.format == fmt
    exif = picture.getexif()
    assert GPS not in exif and not exif.get_ifd(GPS)
    assert exif.get(ORIENTATION, 1) == 1
    return picture


def test_the_fixtures_carry_what_must_go():
    assert gif_polyglot().endswith(POLYGLOT_TAIL)
    raw = PILImage.open(io.BytesIO(jpeg_with_gps()))
    assert raw.getexif().get_ifd(GPS)[2] == (31.0, 18.0, 0.0)
    assert raw.size == (80, 40)


def test_a_gif_polyglot_is_stored_as_pixels_only():
    image = actions.create_image("poly.gif", gif_polyglot())
    stored = Path(image.file.path).read_bytes()
    picture = assert_clean(stored, "GIF")
    assert picture.size == (40, 30) and (image.width, image.height) == (40, 30)


def test_gps_goes_and_the_orientation_is_applied():
    image = actions.create_image("phone.jpg", jpeg_with_gps())
    picture = assert_clean(Path(image.file.path).read_bytes(), "JPEG")
    # Turned upright: 80×40 on its side is 40×80, and the blue half is now on top.
    assert picture.size == (40, 80) and (image.width, image.height) == (40, 80)
    top, bottom = picture.convert("RGB").getpixel((20, 5)), picture.getpixel((20, 75))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]


def test_an_animated_gif_keeps_its_frames():
    frames = [PILImage.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(PILImage.open(out), "n_frames", 1) == 3
    cleaned = images.cleaned(out.getvalue() + POLYGLOT_TAIL)
    picture = assert_clean(cleaned, "GIF")
    assert getattr(picture, "n_frames", 1) == 3


def test_the_cover_is_cleaned_too():
    article = actions.create_article(ArticleData(title="封面测试", body=[]))
    actions.set_article_cover(article, "cover.jpg", jpeg_with_gps())
    assert_clean(Path(article.cover.path).read_bytes(), "JPEG")


def test_the_original_is_kept_only_when_asked(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    originals = tmp_path / "originals"
    actions.create_image("a.jpg", jpeg_with_gps())
    assert not originals.exists()
    settings.CITYDESK_KEEP_ORIGINAL_UPLOADS = True
    upload = jpeg_with_gps(orientation=3)
    actions.create_image("b.jpg", upload)
    kept = list(originals.iterdir())
    assert [p.read_bytes() for p in kept] == [upload]
    assert not str(kept[0]).startswith(str(settings.MEDIA_ROOT))  # never served


def test_the_admin_form_stores_the_cleaned_picture(admin_client):
    upload = SimpleUploadedFile("poly.gif", gif_polyglot(), content_type="image/gif")
    response = admin_client.post(
        "/admin/content/image/add/",
        {"file": upload, "title": "多语文件", "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert response.status_code == 302
    assert_clean(Path(Image.objects.get().file.path).read_bytes(), "GIF")


def test_the_newsroom_upload_stores_the_cleaned_picture():
    user = User.objects.create_user("xiaoji")
    user.groups.add(Group.objects.get(name=GROUPS[Role.REPORTER]))
    client = Client()
    client.force_login(user)
    upload = SimpleUploadedFile("phone.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/newsroom/images/", {"file": upload})
    assert response.status_code == 200, response.content
    picture = assert_clean(Path(Image.objects.get().file.path).read_bytes(), "JPEG")
    assert picture.size == (40, 80)


def test_a_refused_upload_still_says_why_and_stores_nothing():
    with pytest.raises(images.ImageError, match="不是有效的图片"):
        actions.create_image("x.gif", b"GIF89a" + POLYGLOT_TAIL)
    assert not Image.objects.exists() and not Article.objects.exists()
    assert settings.CITYDESK_KEEP_ORIGINAL_UPLOADS is False


def test_a_gif_comment_goes_too():
    out = io.BytesIO()
    PILImage.new("P", (30, 20), 3).save(out, "GIF", comment=b"<script>alert(1)</script>")
    assert b"<script" in out.getvalue()
    assert b"<script" not in images.cleaned(out.getvalue())


def test_an_animated_gif_cut_in_a_later_frame_is_refused_not_a_500():
    random = __import__("random").Random(1)
    frames = [
        PILImage.frombytes("L", (200, 200), bytes(random.randrange(256) for _ in range(40_000)))
        for _ in range(3)
    ]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    cut = out.getvalue()[: len(out.getvalue()) * 8 // 10]
    images.checked(cut)  # the first frame is whole: the check alone lets it through
    with pytest.raises(images.ImageError, match="已损坏"):
        images.cleaned(cut)
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    upload = SimpleUploadedFile("cut.gif", cut, content_type="image/gif")
    response = client.post(
        "/admin/content/image/add/", {"file": upload, "focal_x": "0.5", "focal_y": "0.5"}
    )
    assert response.status_code == 200 and "已损坏" in response.content.decode()
    assert not Image.objects.exists()


def test_many_frames_count_against_the_pixel_limit(settings):
    settings.CITYDESK_IMAGE_MAX_PIXELS = 20 * 20 * 5
    frames = [PILImage.new("RGB", (20, 20), (n * 20, 0, 0)) for n in range(10)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    with pytest.raises(images.ImageError, match="帧太多"):
        images.cleaned(out.getvalue())


@pytest.mark.parametrize(("url", "field"), [("/admin/content/person/add/", "photo")])
def test_a_persons_photo_is_cleaned_too(url, field):
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    upload = SimpleUploadedFile("face.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"name": "李明", "slug": "李明", field: upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    from citydesk.content.models import Person

    assert_clean(Path(Person.objects.get(name="李明").photo.path).read_bytes(), "JPEG")
