from tests.fakes.clock import no_wait
from tools import metrics
from tools.clients.errors import Unavailable
from tools.clients.retry import RetryPolicy, retrying


def calls(service: str, outcome: str) -> float:
    labels = {"service": service, "outcome": outcome}
    return metrics.REGISTRY.get_sample_value("salesbot_integration_calls_total", labels) or 0.0


async def test_every_attempt_is_counted_for_its_service_by_outcome() -> None:
    failures = iter([Unavailable("Test service", "down"), None])

    async def call() -> str:
        if (error := next(failures)) is not None:
            raise error
        return "done"

    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.01, sleep=no_wait)
    assert await retrying(policy, service="Test service", call=call) == "done"
    assert (calls("Test service", "Unavailable"), calls("Test service", "ok")) == (1, 1)
