"""`citydesk nginx_config`: the nginx site config, filled in from this install's settings.

The template is deploy/nginx/citydesk.conf.template; its placeholders are the
${CITYDESK_*} names below, so `envsubst` with that list fills it in just as well.
"""

import string
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.publishing import http

# In the source tree beside the package: citydesk is deployed from a checkout.
TEMPLATE = Path(__file__).resolve().parents[4] / "deploy" / "nginx" / "citydesk.conf.template"
# Debian's libnginx-mod-http-brotli-static; its conf in modules-enabled loads it.
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def render(
    *,
    upstream: str,
    listen: str,
    page_cache_dir: Path,
    static_root: Path,
    media_root: Path,
    brotli: bool,
    template: Path = TEMPLATE,
) -> str:
    checked = {
        "CITYDESK_UPSTREAM": upstream,
        "CITYDESK_LISTEN": listen,
        "CITYDESK_PAGE_CACHE_DIR": str(Path(page_cache_dir).resolve()),
        "CITYDESK_STATIC_ROOT": str(Path(static_root).resolve()),
        "CITYDESK_MEDIA_ROOT": str(Path(media_root).resolve()),
    }
    for value in checked.values():
        if any(ch in value for ch in ";{}\"'\n"):
            raise CommandError(f"not usable in an nginx config: {value!r}")
    headers = []
    for name, value in http.security_headers():
        if any(ch in value for ch in '"\n{}$\\'):
            raise CommandError(f"not usable in an nginx config: {name}: {value!r}")
        # `always`: error pages (a 404) carry them too.
        headers.append(f'add_header {name} "{value}" always;')
    values = {
        **checked,
        "CITYDESK_BROTLI_STATIC": "brotli_static on;" if brotli else "",
        "CITYDESK_SECURITY_HEADERS": "\n        ".join(headers),
    }
    # safe_substitute leaves nginx's own $variables alone.
    return string.Template(template.read_text()).safe_substitute(values)


class Command(BaseCommand):
    help = "打印 nginx 配置 (print the nginx site config for this install)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--upstream", default="127.0.0.1:8000", help="where `citydesk serve` listens"
        )
        parser.add_argument("--listen", default="80", help="nginx's listen argument")
        parser.add_argument(
            "--brotli",
            choices=["auto", "on", "off"],
            default="auto",
            help="serve .br files (needs libnginx-mod-http-brotli-static; auto: if installed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        brotli = options["brotli"] == "on" or (
            options["brotli"] == "auto" and BROTLI_MODULE.exists()
        )
        self.stdout.write(
            render(
                upstream=options["upstream"],
                listen=options["listen"],
                page_cache_dir=settings.PAGE_CACHE_DIR,
                static_root=settings.STATIC_ROOT,
                media_root=settings.MEDIA_ROOT,
                brotli=brotli,
            ),
            ending="",
        )
