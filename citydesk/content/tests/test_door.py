"""The door guard (citydesk.content.door), which the whole suite runs under: app code that
writes content outside citydesk.content.actions fails, whatever the path."""

import types

import pytest
from django.db.models.signals import post_save
from django.http import HttpRequest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.door import DoorViolation
from citydesk.content.models import Article, Tag

pytestmark = pytest.mark.django_db


def app_code(source: str) -> types.ModuleType:
    """A module of app code (named like one of citydesk's) holding `source`."""
    module = types.ModuleType("citydesk.portal.elsewhere")
    exec(source, module.__dict__)
    return module


WRITERS = app_code(
    """
from citydesk.content.models import Article, Tag

def save(tag):
    tag.save()

def create():
    return Tag.objects.create(name="后门", slug="houmen")

def bulk():
    Tag.objects.bulk_create([Tag(name="批量", slug="piliang")])

def update():
    Article.objects.update(title="改")

def delete():
    Tag.objects.all().delete()

def receiver(sender, instance, created, **kwargs):
    Tag.objects.create(name=f"顺手{instance.pk}", slug=f"shunshou{instance.pk}")
"""
)


@pytest.mark.parametrize("writer", ["create", "bulk", "update", "delete"])
def test_app_code_writing_content_itself_fails(writer):
    actions.get_or_create_tag("已有")
    with pytest.raises(DoorViolation, match=r"citydesk\.portal\.elsewhere"):
        getattr(WRITERS, writer)()


def test_a_model_saved_by_app_code_fails_though_the_model_saves_itself():
    tag = actions.get_or_create_tag("运河")
    tag.name = "大运河"
    with pytest.raises(DoorViolation):
        WRITERS.save(tag)
    assert Tag.objects.get(pk=tag.pk).name == "运河"


def test_a_receiver_writing_inside_a_door_call_is_caught():
    post_save.connect(WRITERS.receiver, sender=Article, dispatch_uid="door-test")
    try:
        with pytest.raises(DoorViolation, match=r"citydesk\.portal\.elsewhere"):
            actions.create_article(ArticleData(title="带接收器", body=[]))
    finally:
        post_save.disconnect(dispatch_uid="door-test", sender=Article)


def test_the_door_itself_and_tests_may_write():
    tag = actions.get_or_create_tag("古城")  # the door
    Tag.objects.filter(pk=tag.pk).update(name="姑苏")  # a test setting up its data
    assert Tag.objects.get(pk=tag.pk).name == "姑苏"


def test_the_admins_default_save_counts_as_app_code(admin_client):
    from django.contrib import admin

    from citydesk.content.admin import RelatedAdmin

    # The admin's own save_model (as a ModelAdmin without the door would call it).
    with pytest.raises(DoorViolation, match=r"django\.contrib\.admin"):
        admin.ModelAdmin.save_model(
            RelatedAdmin(Tag, admin.site),
            HttpRequest(),
            Tag(name="后台", slug="houtai"),
            None,
            False,
        )
