"""`{% once [key …] %}…{% endonce %}`: a stretch of template rendered once a process for
each distinct value of its keys.

For page chrome that depends on nothing a page changes (the masthead, feed links, the
footer): Django's template engine spends ~0.1 ms on each such include or tag, and a page
miss draws several. Unlike `{% cache %}` it needs no cache backend and nothing expires;
the content inside must be a function of the keys, the settings and the URLconf only.
Each stretch keeps at most MAX_KEYS renderings (then renders afresh), and all of them are
forgotten when a setting changes.
"""

import weakref
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_KEYS = 256
_nodes: "weakref.WeakSet[OnceNode]" = weakref.WeakSet()


class OnceNode(Node):
    def __init__(self, nodelist: NodeList, keys: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.keys = keys
        self.rendered: dict[tuple[Any, ...], SafeString] = {}
        _nodes.add(self)

    def render(self, context: Any) -> SafeString:
        key = (get_script_prefix(), get_language(), *(k.resolve(context) for k in self.keys))
        try:
            return self.rendered[key]
        except (KeyError, TypeError):  # TypeError: a key value that cannot be hashed
            pass
        html = mark_safe(self.nodelist.render(context))
        try:
            if len(self.rendered) < MAX_KEYS:
                self.rendered[key] = html
        except TypeError:
            pass
        return html


@register.tag
def once(parser: Parser, token: Token) -> OnceNode:
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(nodelist, keys)


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    for node in list(_nodes):
        node.rendered.clear()
