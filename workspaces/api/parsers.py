import io
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from workspaces.api.errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    """JSON, refused with a 413 past DATA_UPLOAD_MAX_MEMORY_SIZE.

    DRF reads the body straight from the request stream, so Django's own limit (which only
    guards `request.body` and form parsing) never applies here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if request is not None and _declared_length(request.META) > limit:
            raise PayloadTooLarge()
        raw = stream.read(limit + 1)  # never more than one byte past the limit
        if len(raw) > limit:
            raise PayloadTooLarge()
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        _refuse_lone_surrogates(data)
        return data


def _refuse_lone_surrogates(data) -> None:
    # "\ud800" is valid JSON but not text: it could be neither stored nor echoed in an error.
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("JSON parse error - the body contains an unpaired surrogate.") from None


def _declared_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
