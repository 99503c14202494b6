# Gunicorn settings for the web process. SSE holds a connection open per client: threaded workers, never sync.
import multiprocessing
import os

worker_class = "gthread"
workers = int(os.environ.get("NEMO_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("NEMO_WEB_THREADS", "32"))
timeout = 120
graceful_timeout = 10
# The upload probe decodes the whole file; big uploads need the request to stay alive that long.
keepalive = 5
accesslog = "-"
