"""`{% once %}` renders a stretch once per key value and forgets on a setting change."""

from django.template import Context, Template
from django.test import override_settings

from citydesk.core.templatetags import once as once_module


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __str__(self) -> str:
        self.calls += 1
        return str(self.calls)


def test_once_renders_each_key_once_and_forgets_when_settings_change():
    template = Template("{% load once %}{% once key %}[{{ counter }}]{% endonce %}")
    counter = Counter()

    def render(key: str) -> str:
        return template.render(Context({"key": key, "counter": counter}))

    assert render("a") == "[1]"
    assert render("a") == "[1]"  # remembered: the counter was not read again
    assert render("b") == "[2]"  # another key value, rendered afresh
    with override_settings(SITE_NAME="另一个站"):
        assert render("a") == "[3]"
        assert render("a") == "[3]"
    assert render("a") == "[4]"  # the override's end is a setting change too


def test_once_stops_remembering_after_max_keys(monkeypatch):
    monkeypatch.setattr(once_module, "MAX_KEYS", 2)
    template = Template("{% load once %}{% once key %}[{{ counter }}]{% endonce %}")
    counter = Counter()
    for key in "abc":
        template.render(Context({"key": key, "counter": counter}))
    assert template.render(Context({"key": "c", "counter": counter})) == "[4]"
    assert template.render(Context({"key": "a", "counter": counter})) == "[1]"


def test_an_unhashable_key_renders_every_time():
    template = Template("{% load once %}{% once key %}[{{ counter }}]{% endonce %}")
    counter = Counter()
    assert template.render(Context({"key": [1], "counter": counter})) == "[1]"
    assert template.render(Context({"key": [1], "counter": counter})) == "[2]"
