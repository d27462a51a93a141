"""Settings for citydesk.

Everything a deployment changes comes from environment variables; the defaults are the
embedded single-machine set-up (SQLite, files under ./var).
"""

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.templatetags.static import static
from django.utils.functional import lazy
from django_prose_editor.config import html_tags

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CITYDESK_DATA_DIR", "var")).resolve()

DEBUG = os.environ.get("CITYDESK_DEBUG", "") == "1"
# A fixed key would let anyone forge sessions; the embedded default keeps a random one
# in the data directory so a restart does not log every editor out.
SECRET_KEY = os.environ.get("CITYDESK_SECRET_KEY", "")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("CITYDESK_ALLOWED_HOSTS", "*").split(",") if h.strip()
]
SITE_NAME = os.environ.get("CITYDESK_SITE_NAME", "名城苏州")
# 稿费 counts a piece as original (原创) when its 来源 is blank or one of these
# (comma-separated): the paper's own titles. Anything else is a repost (转载).
CITYDESK_OWN_SOURCES = os.environ.get("CITYDESK_OWN_SOURCES", SITE_NAME)
# App push (头条推送, citydesk.distribution.push): "log", "webhook" (a signed POST to
# CITYDESK_PUSH_WEBHOOK_URL) or "" for none.
CITYDESK_PUSH_BACKEND = os.environ.get("CITYDESK_PUSH_BACKEND", "")
CITYDESK_PUSH_WEBHOOK_URL = os.environ.get("CITYDESK_PUSH_WEBHOOK_URL", "")
CITYDESK_PUSH_SECRET = os.environ.get("CITYDESK_PUSH_SECRET", "")
SITE_WECHAT_ID = os.environ.get("CITYDESK_WECHAT_ID", "citydesk_demo")
# The origin every absolute URL (canonical, feeds, sitemaps, share cards) is built on.
# Not the request's host: one cached page is served to every host name the site answers to.
SITE_URL = os.environ.get("CITYDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Forms posted from the site's own origin pass the CSRF origin check behind a proxy too;
# CITYDESK_CSRF_TRUSTED_ORIGINS adds others (a second domain).
CSRF_TRUSTED_ORIGINS = [
    SITE_URL,
    *(o.strip() for o in os.environ.get("CITYDESK_CSRF_TRUSTED_ORIGINS", "").split(",")),
]
CSRF_TRUSTED_ORIGINS = [o for o in dict.fromkeys(CSRF_TRUSTED_ORIGINS) if o]

# Behind a TLS proxy (CITYDESK_HTTPS=1): cookies only over HTTPS, HSTS, and the proxy's
# X-Forwarded-Proto believed (the proxy must set it, and strip a client's own).
HTTPS = os.environ.get("CITYDESK_HTTPS", "0") == "1"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CITYDESK_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("CITYDESK_HSTS_SUBDOMAINS", "0") == "1"

# Content-Security-Policy (django-csp), the same on Django's answers and on the cached
# pages the fronts serve (citydesk.publishing.http.security_headers). No inline script
# runs: the pages' scripts are files; the editor's import map is let through by its hash
# (citydesk.core.middleware). Styles may be inline (the admin's and the editor's are).
# WeChat's share cards (citydesk.wechat): off until the 公众号's app id and secret are set.
# Article pages then load the JS-SDK in WeChat's browser, signed by /wechat/jssdk/ (its
# JS安全域名 in the 公众号's settings must name SITE_URL's host). The API and SDK
# addresses are settings for tests and for WeChat's other regions.
CITYDESK_WECHAT_APP_ID = os.environ.get("CITYDESK_WECHAT_APP_ID", "")
CITYDESK_WECHAT_APP_SECRET = os.environ.get("CITYDESK_WECHAT_APP_SECRET", "")
CITYDESK_WECHAT_API_URL = os.environ.get(
    "CITYDESK_WECHAT_API_URL", "https://api.weixin.qq.com"
).rstrip("/")
CITYDESK_WECHAT_JSSDK_URL = os.environ.get(
    "CITYDESK_WECHAT_JSSDK_URL", "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
)
_sdk = urlsplit(CITYDESK_WECHAT_JSSDK_URL)
_WECHAT_SDK_ORIGIN = [f"{_sdk.scheme}://{_sdk.netloc}"] if CITYDESK_WECHAT_APP_ID else []

X_FRAME_OPTIONS = "SAMEORIGIN"  # as frame-ancestors below, for browsers without CSP
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # And WeChat's JS-SDK where share cards are on (its origin only).
        "script-src": ["'self'", *_WECHAT_SDK_ORIGIN],
        "style-src": ["'self'", "'unsafe-inline'"],
        # Pictures and video may be a partner's (feeds keep their links): any origin.
        # Neither runs code; scripts, frames and connections stay on this site.
        "img-src": ["'self'", "data:", "blob:", "https:", "http:"],
        "media-src": ["'self'", "blob:", "https:", "http:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # The site's own pages only: a live article frames its updates for readers
        # without JavaScript (portal/live_updates.html); nobody else frames a page.
        "frame-ancestors": ["'self'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before citydesk's apps: citydesk.worker's admin replaces django_tasks_db's.
    "django_tasks",
    "citydesk.worker.apps.TasksDatabaseConfig",  # django_tasks_db, named in Chinese
    "citydesk.core",
    "citydesk.content",
    "citydesk.publishing",
    "citydesk.syndication",
    "citydesk.wechat",
    "citydesk.portal",
    "citydesk.importers",
    "citydesk.demo",
    "citydesk.worker",
    "citydesk.search",
    "citydesk.rankings",
    "citydesk.recommend",
    "citydesk.newsroom",
    "citydesk.feeds",
    "citydesk.ops",
    "citydesk.api",
    "citydesk.comments",
    "citydesk.pay",
    "citydesk.distribution",
    "ninja",  # the API's docs page, from its own static files
    "corsheaders",
    "django_prose_editor",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "citydesk.core.middleware.MetricsMiddleware",  # outermost: sees every answer
    # Before anything reads the database: a reader's render may read the replica.
    "citydesk.core.replica.ReplicaMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # the API's CORS (CORS_URLS_REGEX)
    "django.middleware.security.SecurityMiddleware",
    "citydesk.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "citydesk.api.middleware.HeadAsGetMiddleware",  # the API's HEAD, as its GET
    # ETag/304 for pages Django renders; above the page cache so it sees the file's ETag.
    "django.middleware.http.ConditionalGetMiddleware",
    "citydesk.publishing.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Below the CSP middleware: its answer is read before that one writes the header.
    "citydesk.core.middleware.InlineImportMapMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citydesk.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["citydesk.core.templatetags.remembered_urls"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "citydesk.portal.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "citydesk.wsgi.application"

_database_url = os.environ.get("CITYDESK_DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "citydesk.sqlite3"),
            "OPTIONS": {
                # WAL lets readers go on while a writer commits; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing with "locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=5000;"
                    "PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

# A PostgreSQL streaming replica for readers' renders (citydesk/core/replica.py): read
# only once it has replayed what the primary had written when the request began, for at
# most CITYDESK_REPLICA_WAIT seconds; otherwise, or when it is down, the primary.
_replica_url = os.environ.get("CITYDESK_DATABASE_REPLICA_URL", "")
if _replica_url:
    DATABASES["replica"] = {
        **dj_database_url.parse(_replica_url, conn_max_age=60),
        # The test databases live on the primary; a test that reads a real replica names
        # it itself (core/tests/test_replica.py).
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
DATABASE_ROUTERS = ["citydesk.core.replica.ReplicaRouter"]
CITYDESK_REPLICA_WAIT = float(os.environ.get("CITYDESK_REPLICA_WAIT", "0.2"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Its own variable so a deployment can put it on a fast disk (or tmpfs) of its own.
PAGE_CACHE_DIR = Path(os.environ.get("CITYDESK_PAGE_CACHE_DIR", DATA_DIR / "pagecache")).resolve()
# Where a change's stale URLs are purged: a JSON list shaped like Django's CACHES (see
# citydesk/publishing/backends/__init__.py). Default: the page cache's files.
PURGE_BACKENDS = json.loads(os.environ.get("CITYDESK_PURGE_BACKENDS") or "null") or [
    {"BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend"}
]
# 0 turns off writing the page cache (benchmarks of bare Django rendering use it).
CITYDESK_PAGE_CACHE = os.environ.get("CITYDESK_PAGE_CACHE", "1") == "1"
# The header that carries each cacheable response's surrogate keys (publishing.keys) to
# a shared cache: Surrogate-Key (Varnish's VCL in deploy/varnish, Fastly), Cache-Tag
# (Cloudflare), or empty for none.
CITYDESK_SURROGATE_KEY_HEADER = os.environ.get("CITYDESK_SURROGATE_KEY_HEADER", "Surrogate-Key")
WHITENOISE_USE_FINDERS = True
# Collected files are kept (and compressed) under their hashed names only: the plain
# names, asked for by nothing the site renders, come from the finders.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Media is served by the embedded server unless a front server (nginx) takes it over.
CITYDESK_SERVE_MEDIA = os.environ.get("CITYDESK_SERVE_MEDIA", "1") == "1"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "citydesk.core.staticfiles.StaticStorage"},
}

# Upload limits: editors upload photos, never huge files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# What an image upload may be (citydesk.content.images): bytes, and decoded pixels.
CITYDESK_IMAGE_MAX_BYTES = int(os.environ.get("CITYDESK_IMAGE_MAX_BYTES", 10 * 1024 * 1024))
CITYDESK_IMAGE_MAX_PIXELS = int(os.environ.get("CITYDESK_IMAGE_MAX_PIXELS", 40_000_000))
# Uploads are stored re-encoded (no trailing bytes, no EXIF or GPS). 1 also keeps each
# upload as it came, under DATA_DIR/originals/ (never served), for a photo desk's archive.
CITYDESK_KEEP_ORIGINAL_UPLOADS = os.environ.get("CITYDESK_KEEP_ORIGINAL_UPLOADS", "0") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CITYDESK_LOG_LEVEL", "WARNING")},
}

# What follows a content change (search index, purges, renditions, feed polls) is a task
# stored in the change's transaction (citydesk.core.tasks); `citydesk worker` runs them.
# Queues: each has a worker thread of its own ("feeds": partners' slow fetches).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "feeds"]}}
# The process that made a change runs its follow-ups right after the commit, so a publish
# is live at once; the worker runs what that missed. 0 leaves everything to the worker.
CITYDESK_TASKS_AFTER_COMMIT = os.environ.get("CITYDESK_TASKS_AFTER_COMMIT", "1") == "1"

CITYDESK_PAGE_SIZE = 20
# Lists page back this far (2,000 articles); search and the sitemaps reach the rest.
CITYDESK_LIST_MAX_PAGES = int(os.environ.get("CITYDESK_LIST_MAX_PAGES", "100"))

# Search backends, shaped like CACHES (see citydesk/search/backends/__init__.py): "auto" is
# SQLite FTS5 on SQLite and PostgreSQL full text on PostgreSQL.
SEARCH_BACKENDS = {"default": {"BACKEND": os.environ.get("CITYDESK_SEARCH_BACKEND", "auto")}}

# View counts and 热点排行 (see citydesk/rankings/backends/__init__.py): "database" (the
# site's own database) or "redis" (CITYDESK_REDIS_URL).
RANKING_BACKENDS = {
    "default": {
        "BACKEND": os.environ.get("CITYDESK_RANKING_BACKEND", "database"),
        "OPTIONS": {"URL": os.environ.get("CITYDESK_REDIS_URL", "redis://127.0.0.1:6379/0")},
    }
}
# Views wait this long in a batch before they are written (0: each at once).
CITYDESK_RANKINGS_BATCH_SECONDS = float(os.environ.get("CITYDESK_RANKINGS_BATCH_SECONDS", "0.25"))
# Views one network (an IPv4 address, an IPv6 /64) counts at most per article per half
# hour, whatever user agents and languages it sends (citydesk/rankings/beacon.py).
CITYDESK_VIEWS_PER_NETWORK = int(os.environ.get("CITYDESK_VIEWS_PER_NETWORK", "4"))
# Who may read /metrics: these networks (comma-separated; the machine itself by default),
# or anyone sending `Authorization: Bearer <CITYDESK_METRICS_TOKEN>`.
CITYDESK_METRICS_ALLOW = [
    n.strip()
    for n in os.environ.get("CITYDESK_METRICS_ALLOW", "127.0.0.0/8,::1/128").split(",")
    if n.strip()
]
CITYDESK_METRICS_TOKEN = os.environ.get("CITYDESK_METRICS_TOKEN", "")
# Behind a proxy on this machine (nginx), read the reader's address from X-Forwarded-For.
CITYDESK_TRUST_X_FORWARDED_FOR = os.environ.get("CITYDESK_TRUST_X_FORWARDED_FOR", "0") == "1"
# Proxies on other hosts whose X-Forwarded-For is believed too (Varnish in front of
# several nodes): comma-separated addresses or networks.
CITYDESK_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("CITYDESK_TRUSTED_PROXIES", "").split(",") if p.strip()
]


def _load_secret_key() -> str:
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    from django.core.management.utils import get_random_secret_key

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = get_random_secret_key()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


if not SECRET_KEY:
    SECRET_KEY = _load_secret_key()

# The newsroom has its own login page (reporters and editors are not staff); the admin's
# stays for administrators.
LOGIN_URL = "/newsroom/login/"
LOGIN_REDIRECT_URL = "/newsroom/"

# Password guessing (django-axes): after AXES_FAILURE_LIMIT failures from one address, or
# for one user name, logins from there (or as that user) are refused for the cool-off
# time, or until an administrator deletes the lock (admin: 访问尝试; or `citydesk
# axes_reset`). Each failure and lockout is logged (logger "axes").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("CITYDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("CITYDESK_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# Not reset by a success: anyone with an account could otherwise wipe an address's
# failures (guessing another's password) by signing in as themselves in between.
AXES_RESET_ON_SUCCESS = False
# A lockout lasts the cool-off from its last failure counted, not longer with each try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# By network (an IPv6 subscriber holds a whole /64), as view counts are.
AXES_CLIENT_IP_CALLABLE = "citydesk.core.net.request_network"
# The log names the user name and address tried (an operator needs them to see an
# attack); passwords are always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_LOCKOUT_CALLABLE = "citydesk.newsroom.views.locked_out"

# The newsroom editor's own ProseMirror extensions (citydesk.newsroom.editor). The
# processors tell prose-editor's sanitiser their HTML; citydesk cleans bodies itself.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [lazy(static, str)("newsroom/editor-extensions.js")],
        "extensions": {
            "LibraryImage": html_tags([], {"img": ["data-file"]}),
            "Video": html_tags(["figure", "video", "figcaption"], {"video": ["src", "poster"]}),
            "PageBreak": html_tags(["hr"], {"hr": ["class"]}),
        },
    }
]

# The integrators' API (citydesk.api, docs/api.md). CORS for the API only, and only for
# the origins named (comma-separated), e.g. the paper's own web app.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("CITYDESK_API_CORS_ORIGINS", "").split(",") if o.strip()
]
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "if-none-match"]
CORS_EXPOSE_HEADERS = ["etag", "last-modified", "link", "retry-after"]
# The API's rate limits are counted in Django's cache: in each process's memory by
# default, shared by every process and node where CITYDESK_CACHE_URL names a Redis.
if os.environ.get("CITYDESK_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CITYDESK_CACHE_URL"],
        }
    }
# Baidu's 普通收录 push (citydesk.api.notify): off until a token is set. The site is the
# one registered in Baidu's search console (default SITE_URL).
CITYDESK_BAIDU_TOKEN = os.environ.get("CITYDESK_BAIDU_TOKEN", "")
CITYDESK_BAIDU_SITE = os.environ.get("CITYDESK_BAIDU_SITE", "")
CITYDESK_BAIDU_PUSH_URL = os.environ.get("CITYDESK_BAIDU_PUSH_URL", "http://data.zz.baidu.com/urls")
# Partners' drafts may link pictures to fetch into the library: from public addresses
# only, unless this is 1 (a partner inside the site's own network).
CITYDESK_API_FETCH_PRIVATE = os.environ.get("CITYDESK_API_FETCH_PRIVATE", "0") == "1"
