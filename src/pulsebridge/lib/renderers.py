"""A JSON renderer that writes what DRF's ``JSONRenderer`` writes, with orjson.

A page of 1000 Pylo readings is 650 kB of JSON: orjson encodes it several times faster than the
standard library's encoder (the figure: docs/performance.md, "Figures from the code"). The bytes
are the same as ``JSONRenderer``'s compact output (tested for the payloads the dialects answer):

- types orjson writes natively (str, int, float, bool, None, list, tuple, dict, UUID) it writes
  as the standard library does, except floats below 1e-4 in magnitude: ``1e-05`` becomes
  ``0.00001``, ``1e-07`` becomes ``1e-7`` (same number);
- datetimes, dates, times, dataclasses and everything else go through DRF's own encoder
  (``default``), so ``2021-02-23T22:06:00.123Z``, Decimal as a float, lazy strings...;
- U+2028 and U+2029 are escaped, as DRF does;
- whatever orjson refuses (non-string dict keys, integers beyond 64 bits, nesting deeper than
  254) and any setting orjson cannot honour (indent, ASCII-only, non-compact, non-strict) is
  rendered by ``JSONRenderer`` itself.

Not the same: NaN and infinities, which ``JSONRenderer`` refuses (strict JSON), are written
``null``; no dialect answers them."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer

# DRF writes datetimes as ``...123Z`` (milliseconds, ``Z``), orjson as ``...123456+00:00``;
# DRF refuses dataclasses: let its encoder see both.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_LINE_SEPARATOR = "\u2028".encode()
_PARAGRAPH_SEPARATOR = "\u2029".encode()


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or not self.strict
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            ret = orjson.dumps(data, default=self.encoder_class().default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # a strict JavaScript subset, as JSONRenderer writes it
        if _LINE_SEPARATOR in ret:
            ret = ret.replace(_LINE_SEPARATOR, b"\\u2028")
        if _PARAGRAPH_SEPARATOR in ret:
            ret = ret.replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return ret
