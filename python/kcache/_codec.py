# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""How Python keys and values become the bytes the kernel stores.

One language-neutral encoding, "kcache JSON" (python/README.md, "The
encoding"), serves keys and values: compact UTF-8 JSON in which the types
JSON has (null, booleans, numbers, strings, arrays, objects with string
members) are themselves, and a few more are an object with a single member
whose name starts with "$" (a tag):

  {"$tuple": [...]}         tuple
  {"$set": [...]}           set           {"$frozenset": [...]} frozenset
  {"$bytes": "<base64>"}    bytes (bytearray, memoryview)
  {"$datetime": "<ISO>"}    datetime.datetime, ISO 8601, with its UTC
                            offset if it has one (not a zone's name)
  {"$date": "YYYY-MM-DD"}   datetime.date
  {"$time": "<ISO>"}        datetime.time
  {"$decimal": "<text>"}    decimal.Decimal, exactly as str() writes it
  {"$float": "NaN"}         a float that JSON cannot write: "NaN",
                            "Infinity" or "-Infinity"
  {"$map": [[k, v], ...]}   a dict whose keys are not all strings, or a
                            dict of exactly one member whose name starts
                            with "$" (so that it is not read as a tag)

Keys:
  - str: its UTF-8 bytes, as they are ("user:123" is the 8-byte key
    user:123, the key a C program or kcachectl uses);
  - bytes (or bytearray): the bytes as they are;
  - any other key: a NUL byte followed by the kcache JSON of the key,
    except that a tuple is a plain array (a key holds no list): (1, "a")
    is the key b'\\x00[1,"a"]', 42 is b'\\x00' b'42'. Elements of a
    frozenset are sorted by their encoding, so that every process writes
    the same bytes. A str or bytes key may therefore not start with a NUL
    byte. 1, 1.0 and True are three different keys here (they are one key
    in a dict).

Values go through a codec, an object with encode(obj) -> bytes and
decode(bytes) -> obj: JSONCodec (the default, kcache JSON), PickleCodec,
RawCodec or one of the caller's.
"""

import base64
import datetime
import decimal
import json
import math
import pickle

_TAG = b"\x00"
_DUMP = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False,
                         allow_nan=False).encode

# Floats JSON cannot write, and their tag text.
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float_tag(value):
    if math.isnan(value):
        return {"$float": "NaN"}
    return {"$float": "Infinity" if value > 0 else "-Infinity"}


def _b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def _sorted_by_encoding(items, walk, path):
    # Set elements in an order every process agrees on (a set's own order
    # follows hash(), which is salted per process for str and bytes).
    tagged = [walk(item, path) for item in items]
    return [t for _s, t in sorted(((_DUMP(t), t) for t in tagged),
                                  key=lambda pair: pair[0])]


class _Encoder:
    """Turns an object into what json can write, with the tags above."""

    def __init__(self, default=None, key=False):
        self._default = default
        self._key = key

    def __call__(self, obj):
        return self._walk(obj, set())

    def _walk(self, obj, path):
        t = type(obj)
        if t is str or t is int or t is bool or obj is None:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else self._float(obj)
        if isinstance(obj, (str, int)):     # subclasses: enums, int types
            return obj
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else self._float(obj)
        if isinstance(obj, datetime.datetime):
            return {"$datetime": obj.isoformat()}
        if isinstance(obj, datetime.date):
            return {"$date": obj.isoformat()}
        if isinstance(obj, datetime.time):
            return {"$time": obj.isoformat()}
        if isinstance(obj, decimal.Decimal):
            return {"$decimal": str(obj)}
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return {"$bytes": _b64(obj)}
        if isinstance(obj, (tuple, list, dict, set, frozenset)):
            return self._container(obj, path)
        if self._default is not None and not self._key:
            return self._walk(self._default(obj), path)
        if self._key:
            raise TypeError(
                "kcache: a key must be a str, bytes, int, float, bool, None, "
                "datetime, date, time, Decimal, or a tuple or frozenset of "
                "these, not %s" % type(obj).__name__)
        raise TypeError(
            "kcache: %s cannot be stored as kcache JSON (see python/"
            "README.md, \"The encoding\"): convert it, pass JSONCodec("
            "default=...), or use codec=\"pickle\"" % type(obj).__name__)

    def _float(self, obj):
        if self._key:
            raise ValueError("kcache: a key must not be NaN or infinite")
        return _float_tag(obj)

    def _container(self, obj, path):
        ident = id(obj)
        if ident in path:
            raise ValueError("kcache: circular reference")
        path.add(ident)
        try:
            return self._contents(obj, path)
        finally:
            path.discard(ident)

    def _contents(self, obj, path):
        walk = self._walk
        if isinstance(obj, tuple):
            items = [walk(item, path) for item in obj]
            return items if self._key else {"$tuple": items}
        if isinstance(obj, frozenset):
            return {"$frozenset": _sorted_by_encoding(obj, walk, path)}
        if self._key:
            raise TypeError("kcache: a key must not hold a %s (unhashable)"
                            % type(obj).__name__)
        if isinstance(obj, list):
            return [walk(item, path) for item in obj]
        if isinstance(obj, set):
            return {"$set": _sorted_by_encoding(obj, walk, path)}
        # A dict: a JSON object when it can be one and cannot be taken for
        # a tag, else the list of its pairs.
        plain = all(type(k) is str for k in obj)
        if plain and len(obj) == 1:
            plain = not next(iter(obj)).startswith("$")
        if plain:
            return {k: walk(v, path) for k, v in obj.items()}
        return {"$map": [[walk(k, path), walk(v, path)]
                         for k, v in obj.items()]}


def _untag_map(pairs):
    try:
        return {k: v for k, v in pairs}
    except (TypeError, ValueError) as e:
        raise ValueError("kcache JSON: bad $map: %s" % e) from None


def _untag_bytes(text):
    return base64.b64decode(text, validate=True)


def _untag_float(text):
    try:
        return _NONFINITE[text]
    except KeyError:
        raise ValueError("kcache JSON: bad $float %r" % (text,)) from None


_UNTAG = {
    "$tuple": tuple,
    "$set": set,
    "$frozenset": frozenset,
    "$bytes": _untag_bytes,
    "$datetime": datetime.datetime.fromisoformat,
    "$date": datetime.date.fromisoformat,
    "$time": datetime.time.fromisoformat,
    "$decimal": decimal.Decimal,
    "$float": _untag_float,
    "$map": _untag_map,
}
# The argument type each tag holds.
_TAG_ARG = {"$tuple": list, "$set": list, "$frozenset": list,
            "$map": list}


def _object_hook(obj, then=None):
    """json's object_hook for kcache JSON: a one-member object whose
    member is a known tag becomes its type; any other object is a dict
    (handed to ``then`` if given)."""
    if len(obj) == 1:
        name, arg = next(iter(obj.items()))
        untag = _UNTAG.get(name)
        if untag is not None:
            if not isinstance(arg, _TAG_ARG.get(name, str)):
                raise ValueError("kcache JSON: bad %s member" % name)
            try:
                return untag(arg)
            except (ValueError, TypeError, decimal.InvalidOperation,
                    base64.binascii.Error) as e:
                raise ValueError("kcache JSON: bad %s: %s" % (name, e)) \
                    from None
    return obj if then is None else then(obj)


_encode_key_json = _Encoder(key=True)


def _key_hook(obj):
    # Inside a key an array is a tuple (and a frozenset's elements must be
    # hashable before the frozenset is made).
    if len(obj) == 1 and isinstance(obj.get("$frozenset"), list):
        obj = {"$frozenset": [_arrays_to_tuples(o)
                              for o in obj["$frozenset"]]}
    return _object_hook(obj)


def encode_key(key):
    """The bytes the kernel stores for ``key`` (see the module's text)."""
    if isinstance(key, str):
        data = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray)):
        data = bytes(key)
    else:
        return _TAG + _DUMP(_encode_key_json(key)).encode("utf-8")
    if not data:
        raise ValueError("kcache: a key must not be empty")
    if data[:1] == _TAG:
        raise ValueError("kcache: a str or bytes key must not start with a "
                         "NUL byte (reserved for encoded keys)")
    return data


def _arrays_to_tuples(obj):
    if isinstance(obj, list):
        return tuple(_arrays_to_tuples(o) for o in obj)
    if isinstance(obj, frozenset):
        return frozenset(_arrays_to_tuples(o) for o in obj)
    return obj


def decode_key(data):
    """The key ``data`` stands for: the inverse of encode_key(), except
    that bytes keys that are valid UTF-8 come back as str. Bytes that no
    encode_key() produces (a C program's binary key, the memo lock keys)
    come back as bytes."""
    if data[:1] == _TAG:
        try:
            key = _arrays_to_tuples(json.loads(data[1:].decode("utf-8"),
                                               object_hook=_key_hook))
            hash(key)
            return key
        except (ValueError, TypeError):
            return bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(data)


class JSONCodec:
    """Values as kcache JSON (the default codec): compact UTF-8 JSON text.

    Round trips dict, list, str, int, float (NaN and infinities too),
    bool and None as plain JSON, and tuple, set, frozenset, bytes,
    datetime, date, time, Decimal and dicts with keys other than strings
    as the tagged objects described in python/README.md ("The
    encoding"), which any JSON reader can read and any program can write.
    Anything else raises TypeError on set(), which then stores nothing:
    convert it, pass ``default`` (called with the object, returns
    something encodable), or use PickleCodec.

    ``object_hook`` is called, as json.loads() calls it, with each
    decoded dict that is not a tag. ``tagged=False`` writes plain JSON
    only (a tuple becomes a list, the other types above raise TypeError,
    NaN is written as NaN), as kcache 1.0 did.
    """

    name = "json"

    def __init__(self, default=None, object_hook=None, tagged=True):
        self._default = default
        self._user_hook = object_hook
        self._tagged = tagged
        self._walk = _Encoder(default=default) if tagged else None
        if not tagged:
            self._hook = object_hook
        elif object_hook is None:
            self._hook = _object_hook
        else:
            self._hook = lambda obj: _object_hook(obj, object_hook)

    def encode(self, obj):
        if self._walk is not None:
            return _DUMP(self._walk(obj)).encode("utf-8")
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                          default=self._default).encode("utf-8")

    def decode(self, data):
        return json.loads(data.decode("utf-8"), object_hook=self._hook)


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
