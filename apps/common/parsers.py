"""The API's JSON parser: DRF's, with deep nesting refused as a parse error."""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "JSON parse error - nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's parser catches ValueError only; `[` repeated 50,000 times (well under the body
    limit) exhausts the decoder's recursion limit, and that RecursionError was a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
