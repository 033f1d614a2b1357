"""The stored events' transcoder: eventsourcing's JSON format, decoded by orjson.

eventsourcing's `JSONTranscoder` decodes with the `json` module and an object hook that
Python calls for every JSON object; that was about half of a rebuild. This one parses with
orjson and applies the registered transcodings afterwards, bottom-up as the hook does, and
only when the bytes hold a `_type_` marker at all. It encodes exactly as `JSONTranscoder`
does (the same `json` encoder, untouched), so the stored bytes keep their format both ways:
an old store reads, and an older build reads what this one writes.

orjson differs from `json` in two places, both sent to the `json` decoder instead: it
refuses NaN and Infinity (which `json` writes for such floats), and it turns an integer too
big for 64 bits into a float. The walk that applies the transcodings visits every value, so
any float at all (our events hold none: amounts are decimal strings) takes the slow path,
and no integer is ever read as anything but itself.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding, TranscodingNotRegisteredError


class _Float(Exception):
    """A float in the document: orjson may have read a long integer as one."""


class OrjsonTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        try:
            return _revive(orjson.loads(data), self.names)
        except (orjson.JSONDecodeError, _Float):
            return super().decode(data)  # `json` reads them as ever, or says why not


def _revive(value: Any, names: dict[str, Transcoding]) -> Any:
    """What the object hook would have made of `value` (a dict or a list): the inner
    objects first, then the object itself when it is exactly a `{_type_, _data_}` pair."""
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if kind is dict:
                if len(item) == 2 and type(item.get("_data_")) is str and "_type_" in item:
                    value[key] = _transcoded(item, names)  # the usual leaf (a date, an id): no walk
                else:
                    value[key] = _revive(item, names)  # a value replaced, no key added: safe while iterating
            elif kind is list:
                value[key] = _revive(item, names)
            elif kind is float:
                raise _Float
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return _transcoded(value, names)
    elif type(value) is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is dict or kind is list:
                value[index] = _revive(item, names)
            elif kind is float:
                raise _Float
    elif type(value) is float:
        raise _Float
    return value


def _transcoded(marked: dict[str, Any], names: dict[str, Transcoding]) -> Any:
    transcoding = names.get(marked["_type_"])
    if transcoding is None:
        msg = (
            f"Data serialized with name '{marked['_type_']}' is not "
            "deserializable. Please register a "
            "custom transcoding for this type."
        )
        raise TranscodingNotRegisteredError(msg)
    return transcoding.decode(marked["_data_"])
