from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from citydesk.wechat import client

register = template.Library()


@register.simple_tag
def wechat_share() -> SafeString:
    """The share card's script on an article page, where an account is configured."""
    if not client.configured():
        return SafeString("")
    return format_html(
        '<script src="{}" defer data-sdk="{}" data-config="{}"></script>',
        static("wechat/share.js"),
        settings.CITYDESK_WECHAT_JSSDK_URL,
        reverse("wechat:jssdk"),
    )
