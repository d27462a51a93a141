"""Path converters for every app's URLs."""

from django.urls import register_converter


class IdConverter:
    """A row id or page number in a path: at most 18 digits, so it fits a 64-bit integer
    column. Django's `int` takes any length, and a 20-digit id reached the database as an
    OverflowError, a 500; a longer one is now a 404 like any unknown path."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
