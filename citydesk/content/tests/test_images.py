"""Uploads: only real pictures within limits; renditions made once, off the request path,
cropped around the focal point."""

import io
import zlib
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from PIL import Image as PILImage

from citydesk.content import actions, images
from citydesk.content.images import ImageError
from citydesk.content.models import Image, Rendition
from citydesk.core import tasks

pytestmark = pytest.mark.django_db


def picture(size=(800, 600), fmt="JPEG", color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming width × height pixels, with a tiny body: opening it is
    cheap, decoding it would not be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    data = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_real_pictures_are_accepted(fmt):
    assert images.checked(picture(fmt=fmt)) == (fmt, 800, 600)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "空"),
        (b"%PDF-1.4 not a picture", "不是有效的图片"),
        (picture()[:2000], "不是有效的图片"),  # truncated
        (png_bomb(60_000, 60_000), "像素太多"),  # 3.6 gigapixels
        (b"BM" + b"\x00" * 100, "不是有效的图片"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(content, message):
    with pytest.raises(ImageError, match=message):
        images.checked(content)


def test_size_and_pixel_limits_come_from_settings(settings):
    settings.CITYDESK_IMAGE_MAX_BYTES = 1000
    with pytest.raises(ImageError, match="图片太大"):
        images.checked(picture())
    settings.CITYDESK_IMAGE_MAX_BYTES = 10**7
    settings.CITYDESK_IMAGE_MAX_PIXELS = 100_000
    with pytest.raises(ImageError, match="像素太多"):
        images.checked(picture())
    bmp = io.BytesIO()
    PILImage.new("RGB", (10, 10)).save(bmp, "BMP")
    with pytest.raises(ImageError, match="不支持的图片格式"):
        images.checked(bmp.getvalue())


def test_a_refused_upload_stores_nothing():
    with pytest.raises(ImageError):
        actions.create_image("x.jpg", b"not an image")
    assert not Image.objects.exists()


def test_the_admin_shows_why_an_upload_was_refused(admin_client):
    upload = SimpleUploadedFile("photo.jpg", b"GIF89a but not really", content_type="image/jpeg")
    response = admin_client.post("/admin/content/image/add/", {"file": upload, "title": "坏图"})
    assert response.status_code == 200  # the form again, with the error
    assert not Image.objects.exists()
    assert "有效的图片" in response.content.decode()  # Django's check or ours: either says why
    good = SimpleUploadedFile("photo.jpg", picture(), content_type="image/jpeg")
    response = admin_client.post(
        "/admin/content/image/add/",
        {"file": good, "title": "好图", "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert response.status_code == 302 and Image.objects.get().width == 800


def test_renditions_are_made_once_and_cropped_around_the_focal_point():
    # Left half red, right half blue; the focal point on the blue side.
    canvas = PILImage.new("RGB", (1600, 600), (255, 0, 0))
    canvas.paste((0, 0, 255), (800, 0, 1600, 600))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    image = actions.create_image("wide.png", out.getvalue())
    assert image.renditions.count() == 0  # nothing on the upload's request
    image.focal_x = 0.9
    actions.save_image(image)
    # The upload's renditions task and the focal point change's: the second finds none
    # left to make.
    assert tasks.run_pending() == 2
    assert actions.make_renditions(image.pk) == 0  # once
    by_spec = {r.spec: r for r in image.renditions.all()}
    assert (by_spec["w640"].width, by_spec["w640"].height) == (640, 240)
    assert by_spec["w1080"].width == 1080
    card = by_spec["card"]
    assert (card.width, card.height) == (640, 360)
    with card.file.open("rb") as handle, PILImage.open(handle) as rendered:
        assert rendered.format == "WEBP"
        pixel = rendered.convert("RGB").getpixel((320, 180))
        assert isinstance(pixel, tuple)
        red, _green, blue = pixel
        assert blue > 200 and red < 60  # the crop kept the focal (blue) side
    assert images.url(image, "card") == card.file.url
    assert Rendition.objects.count() == len(images.SPECS)


def test_a_small_picture_is_never_scaled_up():
    image = actions.create_image("small.jpg", picture(size=(300, 200)))
    actions.make_renditions(image.pk)
    assert {r.width for r in image.renditions.all()} == {300}


def test_the_worker_makes_pending_renditions():
    import threading

    from citydesk.worker import queue

    image = actions.create_image("photo.jpg", picture())
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    queue.run_forever(stop)  # runs the stored task, then idles until stopped
    assert image.renditions.count() == len(images.SPECS)


def test_a_broken_image_never_starves_the_others():
    good = actions.create_image("fine.jpg", picture())
    broken = actions.create_image("gone.jpg", picture())
    broken.file.delete(save=False)  # the file vanished from storage
    assert tasks.run_pending() == 2
    assert good.renditions.count() == len(images.SPECS)
    assert not broken.renditions.exists()
    # Its task waits for a retry, its error kept to show, and does not run again at once.
    (waiting,) = DBTaskResult.objects.filter(status="READY")
    assert waiting.args_kwargs["kwargs"] == {"image_id": broken.pk}
    assert "FileNotFoundError" in waiting.traceback
    assert tasks.run_pending() == 0


def test_article_pages_offer_the_renditions_once_they_exist(client):
    from django.utils import timezone

    from citydesk.content.actions import ArticleData

    image = actions.create_image("wide.jpg", picture((1600, 900)), caption="平江路")
    article = actions.create_article(
        ArticleData(
            title="带图的稿件",
            body=[{"type": "paragraph", "text": "正文。"}, {"type": "image", "image_id": image.pk}],
            published_at=timezone.now(),
        ),
        status="published",
    )
    before = client.get(article.get_absolute_url()).content.decode()
    assert image.file.url in before and "srcset" not in before  # the original, until made
    actions.make_renditions(image.pk)
    # A cached page shows them from its next refresh (the article changing purges it).
    actions.announce_article_change(article.pk, actions.article_state(article.pk))
    page = client.get(article.get_absolute_url()).content.decode()
    widths = [url for url in page.split('srcset="')[1].split('"')[0].split(", ")]
    assert [w.rsplit(" ", 1)[1] for w in widths] == ["320w", "640w", "1080w"]
    assert all(w.split(" ")[0].endswith(".webp") for w in widths)


def test_an_upgrade_queues_renditions_for_images_stored_before_the_task_queue():
    import importlib

    from django.apps import apps

    from citydesk.content.models import Image

    migration = importlib.import_module("citydesk.content.migrations.0010_queue_missing_renditions")
    assert len(images.SPECS) == migration.SPECS
    image = actions.create_image("old.jpg", picture())
    made = actions.create_image("done.jpg", picture())
    assert tasks.run_pending() == 2
    Rendition.objects.filter(image=image).delete()  # as the old loop left it
    DBTaskResult.objects.all().delete()
    migration.queue(apps, None)
    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs["kwargs"] == {"image_id": image.pk}
    assert tasks.run_pending() == 1
    assert Image.objects.get(pk=image.pk).renditions.count() == len(images.SPECS)
    assert made.renditions.count() == len(images.SPECS)


def test_renditions_are_left_to_the_worker_not_made_after_the_uploads_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        image = actions.create_image("big.jpg", picture((1600, 900)))
    assert not image.renditions.exists()  # the editor's request did no encoding
    (waiting,) = DBTaskResult.objects.filter(status="READY")
    assert waiting.args_kwargs["kwargs"] == {"image_id": image.pk}
    assert tasks.run_pending() == 1  # the worker's
    assert image.renditions.count() == len(images.SPECS)


def test_an_edited_focal_point_replaces_the_renditions_and_their_files(
    django_capture_on_commit_callbacks,
):
    image = actions.create_image("moved.jpg", picture((1600, 900)))
    tasks.run_pending()
    old = [r.file.path for r in image.renditions.all()]
    assert len(old) == len(images.SPECS)
    image.focal_x = 0.1
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_image(image)
    assert not image.renditions.exists()
    assert not any(Path(path).exists() for path in old)  # no orphans on disk
    tasks.run_pending()
    assert image.renditions.count() == len(images.SPECS)


def test_renditions_of_an_image_edited_meanwhile_are_left_to_the_edits_task(monkeypatch):
    image = actions.create_image("race.jpg", picture())
    real_render = images.render

    def render_then_edit(img, spec):  # an editor moves the focal point mid-render
        data = real_render(img, spec)
        Image.objects.filter(pk=img.pk).update(focal_y=0.9)
        return data

    monkeypatch.setattr(images, "render", render_then_edit)
    assert actions.make_renditions(image.pk) == 0
    assert not image.renditions.exists()


# Covers ---------------------------------------------------------------------------------


def rendition_sizes(cover: str | None) -> list[tuple[int, int]]:
    sizes = []
    for width in images.COVER_WIDTHS:
        path = Path(default_storage.path(images.cover_rendition_name(cover, width)))
        with PILImage.open(path) as rendition:
            assert rendition.format == "WEBP"
            sizes.append(rendition.size)
    return sizes


def test_a_cover_gets_its_webp_renditions_when_stored_never_enlarged():
    article = actions.create_article(actions.ArticleData(title="封面", body=[]))
    actions.set_article_cover(article, "big.jpg", picture((1600, 1200)))
    assert rendition_sizes(article.cover.name) == [(240, 180), (480, 360), (960, 720)]
    srcset = images.cover_srcset(article.cover.name)
    assert srcset.count("webp") == 3 and srcset.endswith(" 960w") and " 240w, " in srcset

    first = article.cover.name
    actions.set_article_cover(article, "small.jpg", picture((300, 200)))
    assert article.cover.name != first
    assert rendition_sizes(article.cover.name) == [(240, 160), (300, 200), (300, 200)]


def test_a_topic_cover_gets_them_too():
    topic = actions.create_topic("古城专题", cover=("t.jpg", picture((1200, 600))))
    assert rendition_sizes(topic.cover.name)[-1] == (960, 480)


def test_a_cover_stored_before_renditions_has_none_until_the_command_makes_them():
    article = actions.create_article(actions.ArticleData(title="旧封面", body=[]))
    actions.set_article_cover(article, "old.jpg", picture())
    for width in images.COVER_WIDTHS:  # as a site upgraded from before renditions has it
        default_storage.delete(images.cover_rendition_name(article.cover.name, width))
    assert images.cover_srcset(article.cover.name) == ""
    out = io.StringIO()
    call_command("cover_renditions", stdout=out)
    assert "made the renditions of 1 covers" in out.getvalue()
    assert images.cover_srcset(article.cover.name).count("webp") == 3
    call_command("cover_renditions", stdout=out)  # nothing left to make
    assert out.getvalue().endswith("made the renditions of 0 covers\n")


def test_a_card_offers_the_renditions_to_the_browser(client):
    article = actions.create_article(
        actions.ArticleData(title="有封面的稿件", body=[], channels=["suzhou"]),
        status="published",
    )
    actions.set_article_cover(article, "c.jpg", picture())
    html = client.get("/suzhou/").content.decode()
    card = html[html.index("有封面的稿件") :]
    assert f'src="{article.cover.url}"' in card
    assert 'sizes="116px"' in card and images.cover_srcset(article.cover.name) in card
