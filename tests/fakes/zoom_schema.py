"""The slice of the Zoom Meeting API the fake checks, written out by hand.

The published OpenAPI file (Zoom Meeting API 2.0.0, see shared/specs/SOURCES.md) carries no
license, so it is neither copied here nor read by the fake. These are the fields of
`meetingCreate` and `meetingStatus` we may send and of the meeting the fake answers with, with the types, enums and
maxLengths the spec states; `tests/fakes/test_zoom.py` checks them against the spec file when it
is present. The schemas use a small JSON-Schema subset: type, format, enum, maxLength,
properties, items; `validate` treats unknown fields as violations only where asked.
"""

from __future__ import annotations

import re
from typing import Any

SETTINGS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "host_video": {"type": "boolean"},
        "participant_video": {"type": "boolean"},
        "join_before_host": {"type": "boolean"},
        "jbh_time": {"type": "integer", "enum": [0, 5, 10]},
        "mute_upon_entry": {"type": "boolean"},
        "waiting_room": {"type": "boolean"},
        "approval_type": {"type": "integer", "enum": [0, 1, 2]},
        "audio": {"type": "string", "enum": ["both", "telephony", "voip"]},
        "auto_recording": {"type": "string", "enum": ["local", "cloud", "none"]},
        "alternative_hosts": {"type": "string"},
        "email_notification": {"type": "boolean"},
        "meeting_authentication": {"type": "boolean"},
        "private_meeting": {"type": "boolean"},
    },
}

# POST /users/{userId}/meetings, request body (application/json). No field is required.
MEETING_CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "topic": {"type": "string"},
        "type": {"type": "integer", "enum": [1, 2, 3, 8]},
        # Also local "yyyy-MM-ddTHH:mm:ss" with `timezone`, which date-time would refuse.
        "start_time": {"type": "string", "format": "date-time"},
        "duration": {"type": "integer"},
        "timezone": {"type": "string"},
        "agenda": {"type": "string", "maxLength": 2000},
        "password": {"type": "string", "maxLength": 10},
        "default_password": {"type": "boolean"},
        "pre_schedule": {"type": "boolean"},
        "schedule_for": {"type": "string"},
        "template_id": {"type": "string"},
        "settings": SETTINGS,
    },
}

# The 201 answer of meetingCreate: the fields the fake fills in.
MEETING_CREATED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "format": "int64"},
        "host_email": {"type": "string", "format": "email"},
        "topic": {"type": "string", "maxLength": 200},
        "type": {"type": "integer", "enum": [1, 2, 3, 8]},
        "start_time": {"type": "string", "format": "date-time"},
        "duration": {"type": "integer"},
        "timezone": {"type": "string"},
        "agenda": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "start_url": {"type": "string"},
        "join_url": {"type": "string"},
        "password": {"type": "string"},
        "h323_password": {"type": "string"},
        "pre_schedule": {"type": "boolean"},
        "settings": {
            "type": "object",
            "properties": {
                k: SETTINGS["properties"][k] for k in ("join_before_host", "waiting_room")
            },
        },
    },
}

# Real answers also carry these; the spec lists them only for GET /meetings/{meetingId}.
MEETING_EXTRA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"},
        "host_id": {"type": "string"},
        "status": {"type": "string", "enum": ["waiting", "started"]},
        "encrypted_password": {"type": "string"},
    },
}

# `meetingStatus`: what may be done to a meeting by its id.
MEETING_STATUS: dict[str, Any] = {
    "type": "object",
    "properties": {"action": {"type": "string", "enum": ["end", "recover"]}},
}

_PYTHON: dict[str, type[Any]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
}
_ZOOM_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def validate(schema: dict[str, Any], value: Any, where: str, *, closed: bool = True) -> list[str]:
    """What is wrong with `value`; `closed` makes fields the schema does not list violations."""
    kind = schema["type"]
    if not isinstance(value, _PYTHON[kind]) or (kind == "integer" and isinstance(value, bool)):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if kind == "string" and len(value) > schema.get("maxLength", len(value)):
        errors.append(f"{where}: longer than {schema['maxLength']} characters")
    match schema.get("format"):
        case "int64" if not -(2**63) <= value < 2**63:
            errors.append(f"{where}: {value} does not fit in int64")
        case "date-time" if not _ZOOM_TIME.fullmatch(value):
            errors.append(f"{where}: {value!r} is neither yyyy-MM-ddTHH:mm:ssZ nor local time")
        case "email" if not _EMAIL.fullmatch(value):
            errors.append(f"{where}: {value!r} is not an email address")
    if kind == "object":
        fields = schema.get("properties", {})
        for name, item in value.items():
            if name in fields:
                errors += validate(fields[name], item, f"{where}.{name}", closed=closed)
            elif closed:
                errors.append(f"{where}: unknown field {name!r}")
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(schema["items"], item, f"{where}[{i}]", closed=closed)
    return errors
