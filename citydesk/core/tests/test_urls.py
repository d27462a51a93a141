"""URLs remembered per process stay the ones Django would reverse."""

import pytest
from django.urls import reverse as django_reverse

from citydesk.core.urls import reverse


def test_remembered_reverse_follows_the_urlconf(settings):
    assert reverse("portal:tag", args=["苏州"]) == django_reverse("portal:tag", args=["苏州"])
    assert reverse("portal:article", args=[7]) == "/a/7/"
    settings.ROOT_URLCONF = "citydesk.core.tests.urls_other"
    assert reverse("portal:article", args=[7]) == "/elsewhere/7/"


def test_other_arguments_are_reversed_afresh():
    class Slug:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            return self.text

    slug = Slug("a")
    assert reverse("portal:tag", args=[slug]) == "/tag/a/"
    slug.text = "b"  # same object, new text: never a remembered answer
    assert reverse("portal:tag", args=[slug]) == "/tag/b/"


def test_an_unknown_name_raises_as_django_does():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("portal:nothing")
