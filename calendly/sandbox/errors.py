"""Calendly's error answers: ``{title, message, details?}`` with the status that goes with them."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as Calendly's error body."""

    def __init__(self, status: int, title: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"title": title, "message": message}
        if details:
            self.body["details"] = details


def invalid(message: str, parameter: str = "") -> ApiError:
    details = [{"parameter": parameter, "message": message}] if parameter else None
    return ApiError(400, "Invalid Argument", message, details)


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def permission_denied(message: str) -> ApiError:
    return ApiError(403, "Permission Denied", message)
