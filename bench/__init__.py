"""The webhook ingest benchmark (issue 9): ``python bench/webhook_ingest.py --help``."""

BARE_PATH = "bench/bare/"  # the bare view's URL (bench.urls), beside the product's
INSERT_PATH = "bench/insert/"  # the durable floor: one INSERT of the raw body, committed
FLOOR_TABLE = "bench_insert_floor"  # made by the benchmark, never by a migration
