"""Settings, all read from the environment so one code base runs embedded and scaled out.

Embedded (the default): SQLite in WAL mode in the data directory, an in-memory channel layer
and the task worker inside the web process. Scale-out: DATABASE_URL points at PostgreSQL,
REDIS_URL at Redis, and `webcare worker` processes run beside N `webcare serve` processes.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# development | demo | test | production. Only production insists on a real SECRET_KEY.
WEBCARE_ENV = os.environ.get("WEBCARE_ENV", "production")
if WEBCARE_ENV not in {"development", "demo", "test", "production"}:
    raise ImproperlyConfigured(
        f"WEBCARE_ENV={WEBCARE_ENV!r}: use development, demo, test or production."
    )

DATA_DIR = Path(os.environ.get("WEBCARE_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Refuse a missing key in production; elsewhere keep a generated one in the data dir."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if WEBCARE_ENV == "production":
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set WEBCARE_ENV=development or demo on a machine nobody else uses."
        )
    key_file = DATA_DIR / "secret_key.dev"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("DEBUG", "1" if WEBCARE_ENV == "development" else "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# Where platforms reach our webhooks; printed by `webcare inbox add`.
PUBLIC_URL = os.environ.get("WEBCARE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # Listed so /api/docs renders with the swagger-ui copy ninja ships, not a CDN.
    "ninja",
    "webcare.accounts",
    "webcare.inboxes",
    "webcare.contacts",
    "webcare.conversations",
    "webcare.channels",
    "webcare.replies",
    "webcare.triage",
    "webcare.web",
    "webcare.core",
    "webcare.demo",
    "webcare.sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "webcare.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webcare.config.urls"
ASGI_APPLICATION = "webcare.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'webcare.sqlite3'}"
    # Connections are kept: web requests run on a fixed set of long-lived threads
    # (core/asgi_handler.py), so each lane reuses its connection instead of paying for a new
    # one per request, and the number of connections stays bounded. Health checks replace a
    # connection the database dropped (a restart) before a request uses it.
    db = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the timeout instead of failing on lock upgrade.
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            ),
        }
        # Tests share the database with server subprocesses, so it must be a file.
        db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if WEBCARE_ENV == "test":
    # Hashing costs dominate a suite that logs users in; tests are not about hash strength.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Attachments customers send. Never served as public files: a view checks access first.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/attachments/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The cache holds the public forms' rate limits (channels/spam.py): per process embedded, in
# Redis when scaled out, so every web process counts the same submissions.
CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# Durable by default: a reply or an inbound event queued before a crash is still there after.
# Tests run tasks at once (after commit) unless a test starts real workers.
_DEFAULT_TASK_BACKEND = (
    "django_tasks.backends.immediate.ImmediateBackend"
    if WEBCARE_ENV == "test"
    else "django_tasks_db.DatabaseBackend"
)
TASKS = {
    "default": {"BACKEND": os.environ.get("WEBCARE_TASK_BACKEND", _DEFAULT_TASK_BACKEND)},
}

# Replies to platforms time out rather than hang a worker.
WEBCARE_HTTP_TIMEOUT = float(os.environ.get("WEBCARE_HTTP_TIMEOUT", "10"))
# Threads per web process for the sync part of HTTP requests (core/asgi_handler.py).
WEBCARE_HTTP_THREADS = int(os.environ.get("WEBCARE_HTTP_THREADS", "4"))
# How often polled channels (X mentions) are read. X allows 300 mention reads per user per
# 15 minutes, one per 3 s; 15 s leaves room for catch-up pages.
WEBCARE_POLL_SECONDS = float(os.environ.get("WEBCARE_POLL_SECONDS", "15"))
# How often the worker fetches each WhatsApp inbox's message templates from Meta
# (channels/whatsapp_templates.py); 0 switches the schedule off (the button still works).
WEBCARE_TEMPLATE_SYNC_HOURS = float(os.environ.get("WEBCARE_TEMPLATE_SYNC_HOURS", "6"))
# An IMAP IDLE is ended and issued again after this many seconds: servers may drop an idle
# client after 30 minutes (RFC 2177), and NAT routers often much sooner.
WEBCARE_IMAP_IDLE_SECONDS = float(os.environ.get("WEBCARE_IMAP_IDLE_SECONDS", "300"))

# The reply outbox (replies/outbox.py). A temporary failure (5xx, network, 429) is retried
# after base * 2^(attempt-1) seconds with jitter, at most `max` apart, and never before the
# platform's rate-limit reset; after MAX_ATTEMPTS the reply fails, with the reason shown.
# A reply still `sending` LEASE seconds after it was claimed was interrupted (a crash): the
# lease must outlast one send (httpx applies the timeout to connecting, writing and reading
# each), or a slow send would be taken for a dead one.
WEBCARE_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("WEBCARE_DELIVERY_MAX_ATTEMPTS", "8"))
WEBCARE_DELIVERY_BACKOFF_BASE = float(os.environ.get("WEBCARE_DELIVERY_BACKOFF_BASE", "5"))
WEBCARE_DELIVERY_BACKOFF_MAX = float(os.environ.get("WEBCARE_DELIVERY_BACKOFF_MAX", "600"))
WEBCARE_DELIVERY_LEASE = float(os.environ.get("WEBCARE_DELIVERY_LEASE", "120"))
# Sender threads per worker process: platforms answer in 100s of milliseconds, so one
# thread would cap a worker at a few replies a second.
WEBCARE_DELIVERY_SENDERS = int(os.environ.get("WEBCARE_DELIVERY_SENDERS", "4"))
if WEBCARE_DELIVERY_LEASE < 4 * WEBCARE_HTTP_TIMEOUT:
    raise ImproperlyConfigured(
        f"WEBCARE_DELIVERY_LEASE={WEBCARE_DELIVERY_LEASE:g} must be at least four times "
        f"WEBCARE_HTTP_TIMEOUT={WEBCARE_HTTP_TIMEOUT:g}: a reply still being sent would "
        "otherwise be taken for an interrupted one."
    )
if WEBCARE_DELIVERY_MAX_ATTEMPTS < 1 or WEBCARE_DELIVERY_SENDERS < 1:
    raise ImproperlyConfigured(
        "WEBCARE_DELIVERY_MAX_ATTEMPTS and WEBCARE_DELIVERY_SENDERS must be 1 or more."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # aiosmtpd (the sandbox's SMTP server) logs every SMTP command at INFO.
        "mail.log": {"level": "WARNING"},
    },
}

if WEBCARE_ENV == "production":
    SESSION_COOKIE_SECURE = os.environ.get("WEBCARE_INSECURE_COOKIES", "0") != "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
