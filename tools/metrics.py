"""What this process has done, for Prometheus: turns, the model's requests and tokens, Telegram
sends and rate limits, calls to the outside services, the scheduler's ticks. Each process counts
its own; the queues' backlog, which all processes share, is read from the database at each
scrape (`agent.observe`). One registry of our own, so nothing else's metrics leak in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

TURNS = Counter("salesbot_turns", "Turns ended, by outcome.", ["outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram(
    "salesbot_turn_seconds",
    "From the turn's start to its reply being queued.",
    buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
    registry=REGISTRY,
)
MODEL_REQUESTS = Counter("salesbot_model_requests", "Requests to the model.", registry=REGISTRY)
MODEL_TOKENS = Counter(
    "salesbot_model_tokens", "Tokens the model read and wrote.", ["direction"], registry=REGISTRY
)
SENDS = Counter(
    "salesbot_telegram_sends", "Outbox messages settled, by status.", ["status"], registry=REGISTRY
)
RATE_LIMITED = Counter(
    "salesbot_telegram_rate_limited", "429s Telegram answered.", registry=REGISTRY
)
RATE_LIMIT_WAITED = Counter(
    "salesbot_telegram_rate_limit_wait_seconds",
    "Seconds Telegram's 429s asked to wait.",
    registry=REGISTRY,
)
INTEGRATION_CALLS = Counter(
    "salesbot_integration_calls",
    "Calls to Google, Zoom, HubSpot and mail, each attempt, by outcome (ok or the error).",
    ["service", "outcome"],
    registry=REGISTRY,
)
SCHEDULER_TICKS = Counter(
    "salesbot_scheduler_ticks", "Scheduler ticks, by result.", ["result"], registry=REGISTRY
)
EVENTS_QUEUED = Counter(
    "salesbot_scheduler_events_queued",
    "Events the scheduler queued, by kind.",
    ["kind"],
    registry=REGISTRY,
)
BACKLOG = Gauge(
    "salesbot_queue_due", "Items due and not yet done, by queue.", ["queue"], registry=REGISTRY
)
BACKLOG_AGE = Gauge(
    "salesbot_queue_oldest_seconds",
    "How long the longest-waiting due item has waited, by queue.",
    ["queue"],
    registry=REGISTRY,
)
