"""Every reader page of the demo site renders, and every picture it shows exists."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from citydesk.content import queries
from citydesk.content.models import Person, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=io.StringIO())


def demo_urls() -> list[str]:
    urls = ["/", "/zhuanti/", "/about/"]
    urls += [c.get_absolute_url() for c in queries.nav_channels()]
    urls += [t.get_absolute_url() for t in queries.topics()]
    for article in queries.live():
        urls += [article.page_url(n) for n in range(1, article.page_count + 1)]
    urls += [p.get_absolute_url() for p in Person.objects.all()]
    urls += [t.get_absolute_url() for t in Tag.objects.all()]
    return sorted(set(urls))


def test_every_demo_page_renders_with_its_pictures(client, demo):
    urls = demo_urls()
    assert len(urls) > 100
    media = set()
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "名城苏州" in html and "</html>" in html, url
        media.update(re.findall(r'(?:src|poster)="(/media/[^"]+)"', html))
        for srcset in re.findall(r'srcset="([^"]+)"', html):  # covers' WebP renditions
            media.update(candidate.split()[0] for candidate in srcset.split(", "))
    assert len(media) > 40
    assert sum(url.endswith("-w960.webp") for url in media) > 20
    root = Path(django_settings.MEDIA_ROOT)
    missing = [m for m in media if not (root / m.removeprefix("/media/")).is_file()]
    assert missing == []
