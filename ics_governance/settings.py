"""Settings for ICS Governance.

One file, configured by environment variables through the helpers in
ics_governance/lib/env.py, which reject bad values with a clear message. The README
lists every variable. Production differs from development only by those values.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from ics_governance.lib.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret_key,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# By default DEBUG is on only for the local SQLite database, so that a fresh clone's
# `manage.py` commands work with no environment at all; as soon as DATABASE_URL points
# at a database (production is PostgreSQL), it is off unless asked for, and then a
# real SECRET_KEY is required. `check --deploy` flags DEBUG left on.
DEBUG = env_bool("DEBUG", env_str("DATABASE_URL") is None)
SECRET_KEY = env_secret_key(
    "SECRET_KEY",
    debug=DEBUG,
    development_default="django-insecure-development-only-key-never-use-in-production-0000",
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "frameworks",
    "organisations",
    "assessments",
    "reporting",
    "transfer",
    "operations",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so that it times the whole request (operations/logs.py: one JSON line each).
    "operations.logs.request_log",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session is looked up: a cookie carrying a NUL character is ignored
    # rather than sent to the database (ics_governance/middleware.py).
    "ics_governance.middleware.drop_cookies_with_nul",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login, except those marked @login_not_required (login and
    # password reset, which Django marks itself).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A NUL character in the path is a 404 before any view (or LoginRequiredMiddleware's
    # check) can hand it to the database; after the header middleware above, so that
    # this 404 page carries the same security headers as every other page.
    "ics_governance.middleware.reject_nul_in_path",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ics_governance.urls"
WSGI_APPLICATION = "ics_governance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "sqlite:///db.sqlite3"),
        base_dir=BASE_DIR,
        conn_max_age=env_int("CONN_MAX_AGE", 600, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username and address pair is refused before the
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)

# Login throttling: after LOGIN_FAILURE_LIMIT failed attempts for one username from
# one address, that pair is refused for LOGIN_COOLOFF_MINUTES. Locking by username
# alone would let anyone lock a director out; by address alone, one NHS network's
# shared address would lock a whole trust out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "organisations.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a reverse proxy every connection comes from the proxy; TRUSTED_PROXY_COUNT says
# how many proxies of ours stand in front of the app, so that the client's address is
# read from the right place in X-Forwarded-For (ics_governance/lib/client.py). Left at 0
# the header is ignored, since anyone can send one.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "ics_governance.lib.client.client_address"
# Password reset e-mails: at most this many an hour to one e-mail address, and this many
# an hour requested from one client address (organisations/throttle.py). The client
# limit is higher because one NHS network can put a whole trust behind one address.
PASSWORD_RESET_EMAIL_LIMIT = env_int("PASSWORD_RESET_EMAIL_LIMIT", 3, minimum=1)
PASSWORD_RESET_CLIENT_LIMIT = env_int("PASSWORD_RESET_CLIENT_LIMIT", 20, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded evidence lives here, outside the static root, and is served only through
# a view that checks who may see the assessment (there is no public MEDIA_URL).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 20, minimum=1) * 1024 * 1024
# Form fields other than files, in all: 5 MB, twice Django's default, so that an
# over-long comment (a few MB pasted by mistake) reaches its form and gets the field's
# own "at most N characters" message. A bigger request is refused when its form data is
# first read (by the CSRF check, before the view), with the 400 page saying that nothing
# was saved (ics_governance/errors.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Confidentiality: no figure built from fewer than this many directors' submitted
# answers is shown to anyone else (a line's distribution, spread and comments; an
# executive or non-executive mean). Never below 3, whatever the environment says.
ANONYMITY_THRESHOLD = env_int("ANONYMITY_THRESHOLD", 3, minimum=3)
# The address of the site, for links in emails (invitations, reminders).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Email: printed to the console unless an SMTP host is configured.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ICS Governance <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 587, minimum=1),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security headers. Cookies are marked secure and HSTS is sent whenever DEBUG is
# off; behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive only signals consent; joining the browsers' list is a
# separate, manual submission by whoever owns the domain.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy, built into Django 6: only our own files, no inline
# script or style, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every successful sign-in at INFO; failures and lockouts are WARNING.
    # WeasyPrint reports each layout step at INFO. The request and task lines
    # (operations/logs.py) are on at INFO unless REQUEST_LOG=0.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "ics.requests": {"level": "INFO" if env_bool("REQUEST_LOG", True) else "WARNING"},
        "django.server": {"level": "WARNING"},
    },
}

# Background work (sealing the report PDF at sign-off, sending e-mails) goes through
# Django's tasks API. TASK_BACKEND=database queues it in the database for a worker
# process (`manage.py run_worker`, django-tasks-db), as `make serve` and production do;
# the default, immediate, runs a task at once in the request that enqueued it (after its
# commit), so that `make run` needs no second process.
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_task_backend = env_str("TASK_BACKEND", "immediate")
if _task_backend not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASK_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {_task_backend!r}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_task_backend]}}
# The alias that sends e-mails (tests send them at once to read the outbox).
EMAIL_TASK_BACKEND = "default"
