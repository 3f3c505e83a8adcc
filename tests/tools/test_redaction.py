from inline_snapshot import snapshot

from tools import redaction
from tools.redaction import scrub


def test_registered_values_and_token_shapes_are_masked() -> None:
    redaction.register(["zoom-client-secret-42", None, "short"])
    text = (
        "secret zoom-client-secret-42; url https://api.telegram.org/bot123456789:"
        "AAE0d9dk3mXaQ2Yp1s0kWl5Xb6qZ7tT8uU9/getMe; Authorization: Bearer abc.def.ghi-123;"
        " google ya29.a0AfB_byC-xyz refresh 1//0gLp-abcdefghijkl; key sk-proj-abcdef123456789;"
        " hubspot pat-na1-11112222-3333-4444-5555-666677778888; short stays"
    )
    assert scrub(text) == snapshot(
        "secret [secret]; url https://api.telegram.org/bot[secret]/getMe; Authorization: [secret]; google [secret] refresh [secret]; key [secret]; hubspot [secret]; short stays"
    )


def test_ordinary_text_is_left_alone() -> None:
    text = "Встреча в 15:00, ID 85746065001, chat 12345:678, https://zoom.us/j/85746065001"
    assert scrub(text) == text
