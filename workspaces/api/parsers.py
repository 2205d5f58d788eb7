from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from workspaces import jsonsafe
from workspaces.api.errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    """JSON, refused with a 413 past DATA_UPLOAD_MAX_MEMORY_SIZE, and with a 400 when nested
    deeper than jsonsafe.MAX_DEPTH or holding a lone surrogate (text no column can store).

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
        try:
            data = jsonsafe.loads(raw, parse_constant=jsonsafe.refuse_constant)
        except jsonsafe.UnsafeJSON as exc:
            raise ParseError(f"JSON parse error - {exc.reason}.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        # A NUL is left to each field, which names itself in the 400 (DRF's CharField refuses
        # it); a lone surrogate could not even be echoed back in that message.
        if jsonsafe.unstorable_text(data, nul=False):
            raise ParseError("JSON parse error - the body contains an unpaired surrogate.")
        return data


def _declared_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
