"""The import map an editor page writes inline is let through the CSP by its hash, but
only one that names this site's static files."""

import base64
import hashlib
import json

from django.http import HttpResponse
from django.test import RequestFactory

from citydesk.core.middleware import InlineImportMapMiddleware


def answered(body: str):
    middleware = InlineImportMapMiddleware(lambda request: HttpResponse(body))
    return middleware(RequestFactory().get("/newsroom/new/"))


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_a_static_import_map_is_admitted_by_its_hash():
    data = json.dumps({"imports": {"prose": "/static/django_prose_editor/editor.js"}})
    response = answered(f'<p>x</p><script type="importmap">{data}</script>')
    assert response._csp_update == {"script-src": [digest(data)]}


def test_an_import_map_naming_another_site_is_not():
    data = json.dumps({"imports": {"prose": "https://evil.example/x.js"}})
    response = answered(f'<script type="importmap">{data}</script>')
    assert getattr(response, "_csp_update", {}) in ({}, {"script-src": []})
    assert not getattr(response, "_csp_update", {}).get("script-src")


def test_pages_without_one_are_left_alone():
    assert not hasattr(answered("<p>plain</p>"), "_csp_update")
