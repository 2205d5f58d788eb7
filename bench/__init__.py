"""The webhook ingest benchmark (issue 9): ``python bench/webhook_ingest.py --help``."""

BARE_PATH = "bench/bare/"  # the bare view's URL (bench.urls), beside the product's
