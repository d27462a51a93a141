"""Run GNE and trafilatura on the pages named on stdin (a JSON list of paths), in the
benchmark's own environment; print {extractor: {path: {title, date, authors, body}}}.
Part of bench/extraction.py; the project itself never imports either."""

import json
import sys
import warnings

warnings.filterwarnings("ignore")


def decode(data: bytes) -> str:
    # The same decoding for both, so that only extraction is compared.
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def main() -> None:
    import gne
    import trafilatura

    paths = json.load(sys.stdin)
    extractor = gne.GeneralNewsExtractor()
    out: dict[str, dict[str, dict[str, object]]] = {"gne": {}, "trafilatura": {}}
    for path in paths:
        with open(path, "rb") as handle:
            html = decode(handle.read())
        try:
            g = extractor.extract(html)
        except Exception as exc:  # a page GNE cannot read scores as empty
            g = {"error": str(exc)}
        out["gne"][path] = {
            "title": g.get("title", ""),
            "date": g.get("publish_time", "") or "",
            "authors": (g.get("author") or "").split(),
            "body": g.get("content", ""),
        }
        try:
            t = trafilatura.bare_extraction(html, with_metadata=True)
            t = t.as_dict() if hasattr(t, "as_dict") else (t or {})
        except Exception as exc:
            t = {"error": str(exc)}
        out["trafilatura"][path] = {
            "title": t.get("title") or "",
            "date": t.get("date") or "",
            "authors": (t.get("author") or "").replace(";", " ").split(),
            "body": t.get("text") or "",
        }
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
