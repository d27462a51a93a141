"""The JS-SDK's configuration for one page (`/wechat/jssdk/?url=`): asked for by
`share.js` in WeChat's browser, since the signature names the exact URL the reader
opened and a fresh nonce, so it cannot be in the cached page."""

import logging
from urllib.parse import urlsplit

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from citydesk.core.net import site_origins
from citydesk.wechat import client

log = logging.getLogger("citydesk")
MAX_URL = 2000


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
@never_cache
def jssdk_config(request: HttpRequest) -> JsonResponse:
    if not client.configured():
        return _error("未配置微信公众号 (CITYDESK_WECHAT_APP_ID)", 404)
    url = request.GET.get("url", "")
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        return _error("url 须为本站页面的完整地址", 400)
    if f"{parts.scheme}://{parts.netloc}" not in site_origins():
        return _error("只为本站页面签名", 400)
    try:
        config = client.share_config(url.split("#", 1)[0])
    except client.WechatError as exc:
        log.warning("WeChat JS-SDK: %s", exc)
        return _error("微信接口暂时不可用，请稍后再试", 503)
    return JsonResponse(config)
