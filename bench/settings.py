"""The product's settings, plus what the benchmark needs under the same server: the bare view's
URL (``bench.urls``) and a middleware that counts each request's SQL statements and says so in a
response header. Nothing else changes, so the webhook runs exactly as in production."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# First, so it counts every statement of the request, the middlewares' included.
MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]
