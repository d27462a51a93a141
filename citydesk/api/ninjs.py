"""Articles as IPTC ninjs 2.2 and 3.1 (the schemas: ../shared/standards/ninjs/).

Both schemas forbid properties of their own at every level (`unevaluatedProperties:
false`), so what ninjs has no field for travels in the open lists it does have, each
entry marked by a role or a rel that docs/api.md lists:

- headlines: `main` (标题), `sub` (副标题); descriptions: `summary` (摘要);
- bodies: `html` (text/html) and `blocks` (the stored blocks as JSON,
  application/vnd.citydesk.blocks+json);
- people: the byline's `writer`, `photographer`, `video_editor`, `text_editor`, and
  `responsibleEditor` (责编);
- infoSources: `source` (来源, with its link) and `bylineOrganization` (署名单位);
- subjects: `channel`, `topic` and `tag`, each with its page on the site;
- associations: `cover` and the body's pictures (`picture-1`, ...) and videos, with
  their renditions;
- altIds: `citydesk` (the article's id) and `external` (an importer's or partner's id);
- genres: `headline` (头条), `recommended` (推荐), `pinned` (置顶) where the flag is set.

3.1 spells properties in camelCase, 2.2 in lower case (and calls embargoedUntil
`embargoed`): the document is built once, in 3.1's spelling, and renamed for 2.2.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from jsonschema import Draft202012Validator

from citydesk.api.queries import Linked, Named
from citydesk.content.models import Article, ArticleCredit, Image, Rendition
from citydesk.content.richtext import blocks_to_html, char_count
from citydesk.syndication.meta import absolute_url

VERSIONS = ("3.1", "2.2")
DEFAULT_VERSION = "3.1"
SCHEMAS = {v: f"http://www.iptc.org/std/ninjs/ninjs-schema_{v}.json#" for v in VERSIONS}
BLOCKS_TYPE = "application/vnd.citydesk.blocks+json"
LANGUAGE = "zh-Hans"
_RENAMED_22 = {"embargoedUntil": "embargoed"}
_FLAGS = {"is_headline": "headline", "is_recommended": "recommended", "is_pinned": "pinned"}
# IPTC's schemas (MIT, see schemas/LICENSE), as published in ../shared/standards/ninjs/.
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_MEDIA_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}


def pub_status(article: Article) -> str:
    if article.status == Article.Status.RETRACTED:
        return "canceled"
    return "usable" if article.is_live else "withheld"


def to_ninjs(item: Linked, version: str = DEFAULT_VERSION, *, full: bool = True) -> dict[str, Any]:
    """The article as a ninjs document; `full=False` leaves out the bodies and pictures
    (a list's entry, representationType "partial")."""
    article = item.article
    doc: dict[str, Any] = {
        "uri": absolute_url(article.get_absolute_url()),
        "type": "video" if article.kind == Article.Kind.VIDEO else "text",
        "representationType": "full" if full else "partial",
        "version": str(article.version),
        "firstCreated": _time(article.created_at),
        "versionCreated": _time(article.updated_at),
        "pubStatus": pub_status(article),
        "language": LANGUAGE,
        "headlines": [{"role": "main", "value": article.title}],
        "standard": {"name": "ninjs", "version": version, "schema": SCHEMAS[version]},
        "altIds": [{"role": "citydesk", "value": str(article.pk)}],
    }
    if article.published_at is not None:
        doc["contentCreated"] = _time(article.published_at)
        if article.status == Article.Status.SCHEDULED:
            doc["embargoedUntil"] = _time(article.published_at)
    if article.subtitle:
        doc["headlines"].append({"role": "sub", "value": article.subtitle})
    if article.summary:
        doc["descriptions"] = [{"role": "summary", "value": article.summary}]
    if article.external_id:
        doc["altIds"].append({"role": "external", "value": article.external_id})
    writers = [p.name for role, p in item.credits if role == ArticleCredit.Role.WRITER]
    if writers or article.byline_organization:
        doc["by"] = " ".join(filter(None, [article.byline_organization, *writers]))
    people = [_named(person, role) for role, person in item.credits]
    if item.editor is not None:
        people.append(_named(item.editor, "responsibleEditor"))
    if people:
        doc["people"] = people
    sources = []
    if article.source:
        source: dict[str, str] = {"name": article.source, "role": "source"}
        if article.source_url:
            source["uri"] = article.source_url
        sources.append(source)
    if article.byline_organization:
        sources.append({"name": article.byline_organization, "role": "bylineOrganization"})
    if sources:
        doc["infoSources"] = sources
    subjects = [_named(c, "channel") for c in item.channels]
    subjects += [_named(t, "topic") for t in item.topics]
    subjects += [_named(t, "tag") for t in item.tags]
    if subjects:
        doc["subjects"] = subjects
    genres = [
        {"name": name, "literal": name} for flag, name in _FLAGS.items() if getattr(article, flag)
    ]
    if genres:
        doc["genres"] = genres
    if full:
        _add_body(doc, article)
    return doc if version == "3.1" else _as_22(doc)


def stub(article: Article, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """A withdrawn article as a syncing partner hears of it: which one, its state and
    when it changed; none of its content."""
    doc = {
        "uri": absolute_url(article.get_absolute_url()),
        "representationType": "partial",
        "version": str(article.version),
        "versionCreated": _time(article.updated_at),
        "pubStatus": pub_status(article),
        "standard": {"name": "ninjs", "version": version, "schema": SCHEMAS[version]},
        "altIds": [{"role": "citydesk", "value": str(article.pk)}],
    }
    return doc if version == "3.1" else _as_22(doc)


def _time(value: Any) -> str:
    return value.isoformat()


def _named(named: Named, rel: str) -> dict[str, str]:
    return {"name": named.name, "rel": rel, "uri": named.uri, "literal": named.slug}


def _add_body(doc: dict[str, Any], article: Article) -> None:
    blocks = article.body
    doc["bodies"] = [
        {
            "role": "html",
            "contentType": "text/html",
            "value": blocks_to_html(blocks),
            "charCount": char_count(blocks),
        },
        {
            "role": "blocks",
            "contentType": BLOCKS_TYPE,
            "value": json.dumps(blocks, ensure_ascii=False),
        },
    ]
    associations = []
    if article.cover:
        associations.append(
            {
                "name": "cover",
                "uri": absolute_url(article.cover.url),
                "type": "picture",
                "renditions": [_rendition("original", article.cover.url, article.cover.name or "")],
            }
        )
    renditions = _library_renditions(blocks)
    pictures = videos = 0
    for block in blocks:
        if block.get("type") == "image" and block.get("src"):
            pictures += 1
            associations.append(_picture(block, pictures, renditions))
        elif block.get("type") == "video" and block.get("src"):
            videos += 1
            video: dict[str, Any] = {
                "name": f"video-{videos}",
                "uri": absolute_url(block["src"]),
                "type": "video",
                "renditions": [_rendition("original", block["src"], block["src"])],
            }
            if block.get("caption"):
                video["descriptions"] = [{"role": "caption", "value": block["caption"]}]
            associations.append(video)
    if associations:
        doc["associations"] = associations


def _library_renditions(blocks: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The renditions the worker has made of the body's library pictures, by image id."""
    ids = {b["image_id"] for b in blocks if b.get("type") == "image" and b.get("image_id")}
    found: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return found
    for image_id, spec, name, width, height in Rendition.objects.filter(
        image_id__in=ids
    ).values_list("image_id", "spec", "file", "width", "height"):
        url = default_storage.url(name)
        found.setdefault(image_id, []).append(
            {**_rendition(spec, url, name), "width": width, "height": height}
        )
    for image_id, name, width, height in Image.objects.filter(pk__in=ids).values_list(
        "pk", "file", "width", "height"
    ):
        url = default_storage.url(name)
        original = {**_rendition("original", url, name), "width": width, "height": height}
        found.setdefault(image_id, []).insert(0, original)
    return found


def _picture(
    block: dict[str, Any], number: int, renditions: dict[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    picture: dict[str, Any] = {
        "name": f"picture-{number}",
        "uri": absolute_url(block["src"]),
        "type": "picture",
        "renditions": renditions.get(block.get("image_id") or 0)
        or [_rendition("original", block["src"], block["src"])],
    }
    if block.get("caption"):
        picture["descriptions"] = [{"role": "caption", "value": block["caption"]}]
    if block.get("credit"):
        picture["by"] = block["credit"]
    return picture


def _rendition(name: str, url: str, filename: str) -> dict[str, Any]:
    rendition: dict[str, Any] = {"name": name, "href": absolute_url(url)}
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _MEDIA_TYPES or extension == "webp":
        rendition["contentType"] = _MEDIA_TYPES.get(extension, "image/webp")
    elif extension == "mp4":
        rendition["contentType"] = "video/mp4"
    return rendition


def _as_22(value: Any) -> Any:
    """3.1's spelling to 2.2's: every property in lower case, embargoedUntil renamed."""
    if isinstance(value, dict):
        return {_RENAMED_22.get(k, k.lower()): _as_22(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_22(v) for v in value]
    return value


@cache
def validator(version: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"ninjs-schema_{version}.json").read_text())
    return Draft202012Validator(schema)


def version_of(doc: dict[str, Any]) -> str:
    """The version a document is written in: its `standard`, else its spelling."""
    standard = doc.get("standard")
    if isinstance(standard, dict) and str(standard.get("version", "")).startswith("2"):
        return "2.2"
    if isinstance(standard, dict) and str(standard.get("version", "")).startswith("3"):
        return "3.1"
    lower = {"pubstatus", "versioncreated", "firstcreated", "infosources", "altids"}
    return "2.2" if lower & set(doc) else "3.1"


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a document breaks its version's schema: (location, message) pairs."""
    found = validator(version_of(doc)).iter_errors(doc)
    return [("/".join(str(p) for p in e.absolute_path) or "(document)", e.message) for e in found]
