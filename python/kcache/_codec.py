# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""How Python keys and values become the bytes the kernel stores.

Keys (one fixed encoding, so that every process, in any language, finds
the same entry under the same key):
  - str: its UTF-8 bytes, as they are ("user:123" is the 8-byte key
    user:123, the key a C program or kcachectl uses);
  - bytes (or bytearray): the bytes as they are;
  - any other key (int, float, bool, None, and tuples of these, of str and
    of bytes, nested): a NUL byte followed by the compact JSON text of the
    key, tuples written as arrays and bytes inside a tuple as
    {"bytes": "<base64>"}. (1, "a") is the key b'\\x00[1,"a"]', 42 is
    b'\\x00' b'42'. A str or bytes key may therefore not start with a NUL
    byte. 1, 1.0 and True are three different keys here (they are one key
    in a dict).

Values go through a codec, an object with encode(obj) -> bytes and
decode(bytes) -> obj: JSONCodec (the default), PickleCodec, RawCodec or
one of the caller's.
"""

import base64
import json
import pickle

_TAG = b"\x00"


def _to_json(key):
    if key is None or isinstance(key, (bool, str)):
        return key
    if isinstance(key, int):
        return int(key)
    if isinstance(key, float):
        return float(key)
    if isinstance(key, (bytes, bytearray)):
        return {"bytes": base64.b64encode(bytes(key)).decode("ascii")}
    if isinstance(key, tuple):
        return [_to_json(k) for k in key]
    raise TypeError("kcache: a key must be a str, bytes, int, float, bool, "
                    "None or a tuple of these, not %s" % type(key).__name__)


def _from_json(obj):
    if isinstance(obj, list):
        return tuple(_from_json(o) for o in obj)
    if isinstance(obj, dict):
        return base64.b64decode(obj["bytes"], validate=True)
    return obj


def encode_key(key):
    """The bytes the kernel stores for ``key`` (see the module's text)."""
    if isinstance(key, str):
        data = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray)):
        data = bytes(key)
    else:
        text = json.dumps(_to_json(key), separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
        return _TAG + text.encode("utf-8")
    if not data:
        raise ValueError("kcache: a key must not be empty")
    if data[:1] == _TAG:
        raise ValueError("kcache: a str or bytes key must not start with a "
                         "NUL byte (reserved for encoded keys)")
    return data


def decode_key(data):
    """The key ``data`` stands for: the inverse of encode_key(), except
    that bytes keys that are valid UTF-8 come back as str. Bytes that no
    encode_key() produces (a C program's binary key, the memo lock keys)
    come back as bytes."""
    if data[:1] == _TAG:
        try:
            return _from_json(json.loads(data[1:].decode("utf-8")))
        except (ValueError, KeyError, TypeError):
            return bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(data)


class JSONCodec:
    """Values as compact UTF-8 JSON text (the default codec).

    Round trips what JSON can: dict (with str keys), list, str, int,
    float, bool and None. A tuple comes back as a list; anything else
    (datetime, set, a class instance) raises TypeError on set(): convert
    it first, or pass ``default``/``object_hook`` as json.dumps() and
    json.loads() take them. The stored bytes are plain JSON, readable by
    any program sharing the cache.
    """

    name = "json"

    def __init__(self, default=None, object_hook=None):
        self._default = default
        self._object_hook = object_hook

    def encode(self, obj):
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                          default=self._default).encode("utf-8")

    def decode(self, data):
        return json.loads(data.decode("utf-8"),
                          object_hook=self._object_hook)


class PickleCodec:
    """Values as pickles: any picklable object round trips.

    SECURITY WARNING: unpickling runs code chosen by whoever wrote the
    bytes. A kernel cache is shared by every process allowed to write to
    it (its mode; root always), so reading a pickle from it lets any of
    them run code in this process. Use PickleCodec only for a cache that
    only this program's own user can write (the default mode 0700, and no
    writer you do not trust), never for one whose mode gives write
    permission to a group or to others.
    """

    name = "pickle"

    def __init__(self, protocol=pickle.HIGHEST_PROTOCOL):
        self._protocol = protocol

    def encode(self, obj):
        return pickle.dumps(obj, protocol=self._protocol)

    def decode(self, data):
        return pickle.loads(data)


class RawCodec:
    """Values as bytes, untouched: set() takes bytes-like objects, get()
    returns bytes. For sharing a cache with C programs and kcachectl."""

    name = "raw"

    def encode(self, obj):
        if not isinstance(obj, (bytes, bytearray, memoryview)):
            raise TypeError("kcache: RawCodec stores bytes, not %s"
                            % type(obj).__name__)
        return bytes(obj)

    def decode(self, data):
        return bytes(data)


_CODECS = {"json": JSONCodec, "pickle": PickleCodec, "raw": RawCodec}


def make_codec(codec):
    """A codec object from a name ("json", "pickle", "raw") or an object
    that has encode() and decode()."""
    if isinstance(codec, str):
        try:
            return _CODECS[codec]()
        except KeyError:
            raise ValueError("kcache: unknown codec %r (json, pickle, raw, "
                             "or an object with encode() and decode())"
                             % codec) from None
    if not (callable(getattr(codec, "encode", None))
            and callable(getattr(codec, "decode", None))):
        raise TypeError("kcache: a codec needs encode() and decode()")
    return codec
