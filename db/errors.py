"""What the repository refuses, as typed errors the tools turn into words."""

from __future__ import annotations


class RepositoryError(Exception):
    """Base of every error the `db` package raises on purpose."""


class RecordNotFound(RepositoryError):
    """No row of this kind has this id (or it is not visible to the one asking)."""

    def __init__(self, kind: str, ref: object) -> None:
        super().__init__(f"no {kind} {ref}")
        self.kind = kind
        self.ref = ref


class InvalidTransition(RepositoryError):
    """A status change that makes no sense, such as approving a removed rep."""

    def __init__(self, kind: str, ref: object, current: str, target: str) -> None:
        super().__init__(f"{kind} {ref} is {current}; it cannot become {target}")
        self.kind = kind
        self.ref = ref
        self.current = current
        self.target = target


class AlreadyRegistered(RepositoryError):
    def __init__(self, telegram_id: int, status: str) -> None:
        super().__init__(f"telegram id {telegram_id} is already registered ({status})")
        self.telegram_id = telegram_id
        self.status = status


class EmailTaken(RepositoryError):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} belongs to another registered rep")
        self.email = email


class RepNotActive(RepositoryError):
    def __init__(self, ref: object, status: str) -> None:
        super().__init__(f"rep {ref} is {status}, not active")
        self.ref = ref
        self.status = status
