"""URL converters."""


class IdConverter:
    """A database id: at most 18 digits, so it always fits a 64-bit integer column.

    Longer numbers cannot name a row; refusing them in the URL answers 404 rather than
    letting SQLite overflow on the lookup.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
