"""gunicorn settings, from the environment (`make serve` and the example units use it).

Two cores: two worker processes (WEB_CONCURRENCY) with four threads each
(GUNICORN_THREADS). Pages spend their time in templates and the database, not waiting
on the network, so more processes than cores buys nothing; threads cover the time a
request waits on PostgreSQL. Each thread keeps its own database connection
(CONN_MAX_AGE), so PostgreSQL's max_connections must exceed workers × threads."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then, so that a slow leak cannot grow for ever.
max_requests = 5000
max_requests_jitter = 500
# Our middleware logs each request as one JSON line (operations/logs.py).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
