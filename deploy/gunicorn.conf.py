"""gunicorn settings shared by every service (one image, many roles).

The bind address and worker count come from the environment so `--scale` and the embedded
runner can set them: GUNICORN_BIND (default 127.0.0.1:8000), GUNICORN_WORKERS (default 2),
GUNICORN_THREADS (default 1: sync workers). Threads keep a hung API from holding every worker
of the web, but on 2 CPUs 4 threads per web worker served 58 results pages/s to 2 clients where
sync workers served 84 (bench/web_results.py): sync stays the default.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 10
keepalive = 5
limit_request_line = 8190  # long shared search URLs; the API bounds each parameter itself
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" for stdout
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
# the app factory opens its own files and connections in each worker, after the fork
preload_app = False
