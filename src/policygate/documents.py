"""Safe YAML/JSON loading with a line and column for every value.

Every input of policygate (policies, model records, waivers, ...) comes through
here, so this module is where untrusted text meets the engine. It promises:

- **One parser for both formats.** JSON is read as YAML (a JSON text is a YAML
  1.2 document), so both give the same data and the same line/column positions.
  The text is composed into a node graph with PyYAML's *safe* machinery
  (libyaml when available) and the Python data is built by walking that graph
  here, never by a YAML constructor, so no tag can ever create a Python object.
- **YAML means what JSON means.** Only JSON-compatible values are produced:
  ``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool``,
  ``None``. Plain scalars are resolved by the **YAML 1.2 core schema** (SPEC
  §2), not PyYAML's YAML 1.1 rules, on both readers (libyaml and Python):

  * booleans are only ``true``/``True``/``TRUE`` and ``false``/``False``/
    ``FALSE``; ``yes``, ``no``, ``on``, ``off``, ``y``, ``n`` in any case are
    strings (so ``auc: yes`` is ``"yes"``, never ``True``), and so are keys
    such as ``on:``;
  * null is ``null``/``Null``/``NULL``, ``~`` or nothing at all;
  * integers are decimal (``[-+]?[0-9]+``; a leading zero does not make it
    octal: ``017`` is 17), ``0o17`` (octal, 15) and ``0x1F`` (hex, 31), as the
    core schema says. ``0b101``, ``1_000``, ``-0x1F`` and YAML 1.1's base 60
    (``1:59:59``, ``190:20:30.15``) are strings; an integer of more than 4300
    digits is refused (converting one takes time quadratic in its length);
  * floats are ``[-+]?(.5|1|1.|1.5)`` with an optional exponent, so ``1e3``,
    ``1e-07``, ``.5``, ``-.5`` are floats, as in JSON and YAML 1.2;
    ``.inf``, ``-.Inf``, ``.nan`` (and ``1e999``, infinite once read) are
    refused: JSON cannot hold them, and a NaN threshold would compare false
    against everything;
  * timestamps and dates stay strings (``2026-01-01`` is ``"2026-01-01"``);
    policies convert them with CEL's ``timestamp()``; ``=`` is a plain string;
  * an explicit tag must fit the same patterns (``!!bool yes`` and
    ``!!int 1_000`` are refused; ``!!int '12'`` is 12);
  * ``\\uD83D\\uDE00``-style surrogate-pair escapes, which JSON writers use for
    characters outside the BMP, are combined into one character; a lone
    surrogate is refused.

  Quote a value to keep it a string. :func:`to_yaml` quotes every string that
  a YAML 1.1 or 1.2 reader would take for something else.
- **Tags** other than ``!!str !!int !!float !!bool !!null !!map !!seq`` are
  refused with their line and column (``!!python/object``, ``!!binary``,
  ``!!set``, ``!!timestamp``, custom ``!foo``...).
- **Mapping keys** must be strings: ``on:`` or ``1:`` as a key is refused with
  a hint to quote it, as are duplicate keys.
- **Merge keys** (``<<: *defaults`` or ``<<: [*a, *b]``) are supported as in
  YAML 1.1: keys written in the mapping win over merged ones, and earlier
  merge sources win over later ones. A merged value keeps the position where it
  is written (inside the anchored mapping).
- **Aliases** give independent copies, so callers may mutate the data; they
  are limited by what they expand to, not by how many there are: every
  expansion counts against :attr:`Limits.max_nodes` and its characters (of
  strings and keys) against :attr:`Limits.max_expanded_chars`, summed over all
  the documents of the file. The size of each node is measured once
  (memoised) before anything is built, so a "billion laughs" document, or a
  1 MB string aliased 5,000 times, is refused in microseconds instead of
  being expanded. (A merge counts all it merges, overridden keys included.)
- **Limits** (:class:`Limits`) bound file size, document count, nesting,
  nodes and characters (aliases expanded) and scalar length. Whatever
  ``max_depth`` says, parsing stops at 1000 levels (libyaml's own limit).
  Without aliases a file cannot hold more characters than bytes, so
  ``max_expanded_chars`` only bites on expansions unless set below
  ``max_bytes``.
- **Files** (:func:`load_file`, :func:`read_bytes`) are read only if they are
  regular files (a named pipe, socket or device is refused before it is read;
  met in a directory by :func:`expand_paths`, it is skipped with a warning),
  through the size limit. A symlink loop says so.
- **Empty documents** (a trailing ``---``) are dropped, but a file that holds
  no document at all (empty, only comments, a bare ``---``) is a load error
  ``path:1:1``; :func:`load_text` returns ``[]`` for such a text. ``--- null``
  is a document whose data is ``None``.
- **Errors** are :class:`~policygate.errors.LoadError` with a
  ``Location(source, line, column)`` (1-based) and a one-line message.

libyaml parses first, for speed. It refuses two things valid JSON contains
(surrogate-pair escapes, and keys longer than 1024 characters in a flow
mapping), so whenever it refuses a text, PyYAML's Python reader, adjusted for
both, reads it again and has the last word, on real syntax errors too (so error
messages are the same with or without libyaml; a broken file is parsed twice).
Only texts up to 256 KiB are read again: the Python reader takes seconds per
megabyte, so a larger text that libyaml refuses is refused with libyaml's
message (a JSON file over 256 KiB with surrogate-pair escapes or keys over 1024
characters is thus refused; write it as UTF-8, as most JSON writers can).

Known gaps: a JSON text holding a raw DEL (``\\x7f``) or other raw control
character is refused (YAML forbids them unescaped; JSON writers escape them
unless told not to), and a raw U+2028/U+2029 inside a JSON string would be
read as a YAML line break.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import yaml
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from policygate.errors import JsonPath, LoadError, Location

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "NO_DOCUMENT",
    "expand_paths",
    "iter_paths",
    "walk_paths",
    "load_file",
    "load_paths",
    "load_text",
    "read_bytes",
    "to_yaml",
]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken input from exhausting memory or time."""

    max_bytes: int = 10 * 1024 * 1024  # per file
    max_documents: int = 1000  # per file, empty documents included
    max_depth: int = 64  # nesting of mappings/sequences ({"a": 1} is one level)
    max_nodes: int = 100_000  # nodes per file, as written and with aliases expanded
    max_string: int = 1024 * 1024  # characters in one scalar
    # characters of every string and key of a file, aliases expanded: as many as
    # max_bytes allows without aliases, so only an expansion can reach it
    max_expanded_chars: int = 10 * 1024 * 1024


DEFAULT_LIMITS = Limits()

Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """One document of a file: plain data plus where each value was written.

    ``positions`` maps the JSON path of every value (the root is ``()``) to its
    1-based ``(line, column)``; ``key_positions`` does the same for the key of
    each mapping entry, which is where "unknown key" messages should point.
    ``index`` is the 0-based position among the non-empty documents of the file.
    """

    source: str
    index: int
    data: Any
    positions: Mapping[JsonPath, Position] = field(repr=False)
    key_positions: Mapping[JsonPath, Position] = field(default_factory=dict, repr=False)

    def location(self, json_path: Sequence[str | int] = ()) -> Location:
        """Where the value at ``json_path`` is written.

        A path that does not exist (a missing required key, say) falls back to
        the nearest ancestor that does, so every message still points somewhere
        useful; the root is the first line of the document.
        """
        path = tuple(json_path)
        while True:
            position = self.positions.get(path)
            if position is not None:
                return Location(self.source, *position)
            if not path:
                return Location(self.source)
            path = path[:-1]

    def key_location(self, json_path: Sequence[str | int]) -> Location:
        """Where the *key* of the mapping entry at ``json_path`` is written."""
        position = self.key_positions.get(tuple(json_path))
        if position is not None:
            return Location(self.source, *position)
        return self.location(json_path)


# --- resolving plain scalars -------------------------------------------------

_YAML_TAG = "tag:yaml.org,2002:"
_STR = _YAML_TAG + "str"
_INT = _YAML_TAG + "int"
_FLOAT = _YAML_TAG + "float"
_BOOL = _YAML_TAG + "bool"
_NULL = _YAML_TAG + "null"
_MAP = _YAML_TAG + "map"
_SEQ = _YAML_TAG + "seq"
_MERGE = _YAML_TAG + "merge"

# The YAML 1.2 core schema (YAML 1.2.2, section 10.3.2), as whole-value patterns.
_CORE_NULL = re.compile(r"\A(?:~|null|Null|NULL|)\Z")
_CORE_BOOL = re.compile(r"\A(?:true|True|TRUE|false|False|FALSE)\Z")
_CORE_INT = re.compile(r"\A(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_CORE_FLOAT = re.compile(
    r"\A(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_MERGE_KEY = re.compile(r"\A<<\Z")  # YAML 1.1's merge key, kept (see the module doc)

# (tag, pattern, the first characters a plain scalar of that tag can start with)
_CORE_RULES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    (_BOOL, _CORE_BOOL, tuple("tTfF")),
    (_INT, _CORE_INT, tuple("-+0123456789")),
    (_FLOAT, _CORE_FLOAT, tuple("-+.0123456789")),
    (_NULL, _CORE_NULL, ("~", "n", "N", "")),
    (_MERGE, _MERGE_KEY, ("<",)),
)


def _core_resolvers() -> dict:
    """PyYAML's implicit-resolver table (first character -> rules) for the core schema.

    Both readers take it: libyaml composes the nodes, but asks this table (in
    Python) for the tag of every plain scalar.
    """
    table: dict[str | None, list] = {}
    for tag, regexp, firsts in _CORE_RULES:
        for first in firsts:
            table.setdefault(first, []).append((tag, regexp))
    return table


def _dump_resolvers() -> dict:
    """Writing quotes every string that a YAML 1.1 *or* a YAML 1.2 reader would take
    for something else: ``"on"`` and ``"2026-01-01"`` (1.1), ``"0o17"`` and
    ``"1e3"`` (1.2)."""
    table: dict[str | None, list] = {
        first: list(rules) for first, rules in yaml.SafeDumper.yaml_implicit_resolvers.items()
    }
    for first, rules in _core_resolvers().items():
        table.setdefault(first, []).extend(rules)
    return table


_LOAD_RESOLVERS = _core_resolvers()
_DUMP_RESOLVERS = _dump_resolvers()


# libyaml refuses nesting beyond 1000 levels; the Python reader does the same.
_PARSER_MAX_DEPTH = 1000
_YAML11_KEY_LENGTH = 1024


class _PyLoader(yaml.SafeLoader):
    """The pure-Python reader: the fallback without libyaml, and for what libyaml refuses.

    Three changes to PyYAML, each to keep hostile input cheap or JSON readable:
    flow nesting is stopped in the scanner (which otherwise runs ahead of the
    composer, doing work quadratic in the depth), all nesting is stopped in the
    composer (which recurses in Python) before a ``RecursionError``, and implicit
    keys in flow collections may be longer than 1024 characters.
    """

    yaml_implicit_resolvers = _LOAD_RESOLVERS
    max_depth = DEFAULT_LIMITS.max_depth
    max_flow_key = DEFAULT_LIMITS.max_string
    max_nodes = DEFAULT_LIMITS.max_nodes
    _depth = 0
    _nodes = 0

    def configure(self, limits: Limits) -> None:
        self.max_depth = min(limits.max_depth, _PARSER_MAX_DEPTH)
        self.max_flow_key = max(limits.max_string, _YAML11_KEY_LENGTH)
        self.max_nodes = limits.max_nodes

    def fetch_flow_collection_start(self, token_class: type) -> None:
        if self.flow_level >= self.max_depth:
            raise _LimitError(None, None, _depth_message(self.max_depth), self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        nesting = int(self.check_event(SequenceStartEvent, MappingStartEvent))
        if nesting and self._depth >= self.max_depth:
            mark = self.peek_event().start_mark
            raise _LimitError(None, None, _depth_message(self.max_depth), mark)
        self._nodes += 1  # before composing: a wide file stops here, not after
        if self._nodes > self.max_nodes:
            mark = self.peek_event().start_mark
            raise _LimitError(None, None, _file_nodes_message(self.max_nodes), mark)
        self._depth += nesting
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= nesting

    def stale_possible_simple_keys(self) -> None:
        # YAML 1.1 caps an implicit key at 1024 characters; YAML 1.2 lifts the
        # cap inside flow collections, which is where every JSON key is. Keys
        # still end on their line, and longer than a scalar may be is no key.
        for level, key in list(self.possible_simple_keys.items()):
            cap = self.max_flow_key if level else _YAML11_KEY_LENGTH
            if key.line != self.line or self.index - key.index > cap:
                if key.required:
                    raise yaml.scanner.ScannerError(
                        "while scanning a simple key",
                        key.mark,
                        "could not find expected ':'",
                        self.get_mark(),
                    )
                del self.possible_simple_keys[level]


if hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """libyaml parses and composes; only the resolver table is ours."""

        yaml_implicit_resolvers = _LOAD_RESOLVERS

    _FAST_LOADER: type = _CLoader
else:  # pragma: no cover - depends on how PyYAML was built
    _FAST_LOADER = _PyLoader


class _RecordDumper(yaml.SafeDumper):
    """Block YAML that policygate (and other YAML readers) read back unchanged."""

    yaml_implicit_resolvers = _DUMP_RESOLVERS

    def ignore_aliases(self, data: Any) -> bool:
        return True  # records are trees; anchors would only confuse a reader

    def represent_str(self, data: str) -> yaml.ScalarNode:
        # With allow_unicode the emitter writes these line separators raw into
        # plain or single-quoted scalars, where a reader folds them to spaces;
        # double quotes escape them.
        if any(separator in data for separator in _LINE_SEPARATORS):
            return self.represent_scalar(_STR, data, style='"')
        return super().represent_str(data)


_LINE_SEPARATORS = ("\x85", "\u2028", "\u2029")
_RecordDumper.add_representer(str, _RecordDumper.represent_str)


def to_yaml(data: Any) -> str:
    """Dump plain data as block YAML, keys in their given order.

    Strings that a YAML reader would take for something else (``"on"``,
    ``"1e3"``, ``"2026-01-01"``) are quoted, so the text reads back as ``data``.
    """
    return yaml.dump(
        data,
        Dumper=_RecordDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )


# --- loading -----------------------------------------------------------------


def load_text(
    text: str | bytes,
    source: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    nonfinite_as_text: bool = False,
) -> list[Document]:
    """Parse every non-empty document of a YAML or JSON text.

    ``nonfinite_as_text``: a plain ``.nan``/``.inf`` is kept as that text (a
    string) instead of being refused; for sources that write them where no rule
    reads a number (a Hugging Face card's widget or emissions fields).
    """
    decoded = _decode(text, source, limits)
    try:
        return _load(decoded, source, limits, _FAST_LOADER, nonfinite_as_text)
    except _LibyamlRefused as refusal:
        if len(decoded) > _PY_READER_MAX and refusal.error is not None:
            # The Python reader takes seconds per megabyte: a large text that libyaml
            # refuses gets libyaml's word, so no file can make loading slow.
            raise _syntax_error(refusal.error, decoded, source) from None
        return _load(decoded, source, limits, _PyLoader, nonfinite_as_text)


_PY_READER_MAX = 256 * 1024


def load_file(
    path: str | os.PathLike[str],
    limits: Limits = DEFAULT_LIMITS,
    *,
    stdin: IO[bytes] | IO[str] | None = None,
) -> list[Document]:
    """Load a file; ``-`` reads standard input (``sys.stdin.buffer`` by default).

    A file that holds no document (empty, or only comments and ``---``) is a
    :class:`LoadError`, as is anything but a regular file (see :func:`read_bytes`).
    """
    name = os.fspath(path)
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        name = "<stdin>"
        documents = load_text(stream.read(limits.max_bytes + 1), name, limits)
    else:
        documents = load_text(_read_file(name, limits), name, limits)
    if not documents:
        raise LoadError(NO_DOCUMENT, Location(name, 1, 1), code="empty-file")
    return documents


NO_DOCUMENT = (
    "the file holds no document: it is empty or has only comments and '---' or '...'"
    " lines (write 'null' for a document that is null)"
)


def read_bytes(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file, at most ``limits.max_bytes`` of them.

    What every input is read through (model cards included): a size over the
    limit is refused before anything is read, and a named pipe, socket or
    device is refused without opening it for a blocking read, so nothing can
    hang the gate or feed it an endless stream. Errors are :class:`LoadError`
    naming the path (``symlink loop (...)``, ``no such file or directory``...).
    """
    return _read_file(os.fspath(path), limits)


def load_paths(
    paths: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
    *,
    stdin: IO[bytes] | IO[str] | None = None,
) -> list[Document]:
    """Every document of every file the paths name, in order (see :func:`expand_paths`)."""
    documents: list[Document] = []
    for path in expand_paths(paths):
        documents.extend(load_file(path, limits, stdin=stdin))
    return documents


_EXTENSIONS = (".yaml", ".yml", ".json")


def expand_paths(
    paths: Sequence[str],
    *,
    warn: Callable[[str], None] | None = None,
    extensions: tuple[str, ...] = _EXTENSIONS,
) -> list[str]:
    """Files as given, directories replaced by the documents under them.

    Directories are searched recursively for ``*.yaml``, ``*.yml`` and
    ``*.json`` (extension case-insensitive; ``extensions`` for others),
    skipping hidden files and directories (``.git``), following symlinks but
    never into a directory already visited. Results under one directory are
    sorted by path components so runs are reproducible. A directory without
    documents contributes nothing: whether that is an error is the caller's
    decision.

    A named pipe, socket or device with a document's name met in a directory
    is skipped, and ``warn`` is called with ``"PATH: skipped: ..."`` (by
    default written to stderr as ``policygate: warning: ...``); named itself,
    it is kept, and loading it is the error. A symlink loop is an error, named
    or met in a directory, whatever its name: it may have been meant as a
    directory of documents.

    A file named twice (``-p policies/ -p policies/base.yaml``, a symlink or a
    hard link to one already met) is read once, where it first appears: its
    documents would otherwise be reported as duplicates of themselves.
    """
    return list(iter_paths(paths, warn=warn, extensions=extensions))


def iter_paths(
    paths: Sequence[str],
    *,
    warn: Callable[[str], None] | None = None,
    extensions: tuple[str, ...] = _EXTENSIONS,
) -> Iterator[str]:
    """:func:`expand_paths` one path at a time, as the walk finds them: what is
    held is a chunk of the names of each directory being walked, one number per
    directory entered, and one per file that can be met again (a hard link, a
    symlink's target, a file named), never one per file found. An error (an
    unreadable directory, a symlink loop) is raised where the walk meets it."""
    for found in walk_paths(paths, warn=warn, extensions=extensions):
        if isinstance(found, LoadError):
            raise found
        yield found


def walk_paths(
    paths: Sequence[str],
    *,
    warn: Callable[[str], None] | None = None,
    extensions: tuple[str, ...] = _EXTENSIONS,
    confined: bool = False,
) -> Iterator[str | LoadError]:
    """:func:`iter_paths`, going on past what a walk cannot read: a directory that
    cannot be read or a symlink loop met in a directory is given as its
    :class:`LoadError`, where it was met, and the walk goes on (an audit reports it
    as a source that could not be read, and evaluates the rest). A path named that
    does not exist is still raised.

    ``confined``: a symbolic link under a directory named that resolves outside it
    (a record linking to ``/etc/...``, a subdirectory linking to ``/``) is neither
    read nor entered but given as its :class:`LoadError`: whoever writes records
    into a tree cannot have the walk read or list what lies outside it."""
    walk = _Walk(warn or _warn, extensions)
    for path in paths:
        if path == "-":
            yield path
        elif stat.S_ISDIR(_stat(path).st_mode):
            walk.inside = os.path.realpath(path) if confined else None
            walk.given = path
            yield from walk.directory(path)
        elif walk.first(path, None):
            yield _named_in_utf8(path)


class _Walk:
    """Directories walked in sorted order, and what tells a file met before.

    A regular file with one link has one directory entry. Met there, it cannot
    have been met there before, as each directory is entered once; it can only
    have been met through a symlink to it or by name, and those record its
    device and inode. Met through a symlink or by name, it was met before if
    recorded, or if its directory entry was walked past already. A file with
    more links is recorded wherever it is met."""

    __slots__ = ("extensions", "given", "inside", "met", "walking", "warn")

    def __init__(self, warn: Callable[[str], None], extensions: tuple[str, ...]) -> None:
        self.warn = warn
        self.extensions = extensions
        self.inside: str | None = None  # the directory, resolved, a confined walk keeps to
        self.given = ""  # and that directory as named
        self.met: set[int] = set()  # device and inode as one number
        # Each directory entered (device, inode): its frame while it is walked, None after.
        self.walking: dict[tuple[int, int], _Frame | None] = {}

    def directory(self, root: str) -> Iterator[str | LoadError]:
        """The documents under ``root``, sorted by path components, and what could
        not be read among them."""
        stack: list[_Frame] = []
        try:
            self._enter(root, root, stack)
        except LoadError as error:
            yield error
        while stack:
            frame = stack[-1]
            found: str | LoadError | None = None
            try:
                name = next(frame.entries, None)
            except LoadError as error:  # the rest of this directory cannot be read
                name, found = None, error
            if name is None:
                stack.pop()
                self.walking[frame.key] = None
            elif name.endswith(_DIRECTORY):
                name = frame.current = name[:-1]
                try:
                    self._enter(os.path.join(frame.path, name), root, stack)
                except LoadError as error:
                    found = error
            else:
                frame.current = name
                path = os.path.join(frame.path, name)
                try:
                    if self._found(path, name):
                        found = _named_in_utf8(path)
                except LoadError as error:
                    found = error
            if found is not None:
                yield found

    def _enter(self, directory: str, root: str, stack: list[_Frame]) -> None:
        if self.inside is not None and os.path.islink(directory):  # (only a link leads out)
            self._refuse_outside(directory)
        try:
            info = os.stat(directory)
        except OSError as error:
            raise _unreadable_directory(error, root) from None
        key = (info.st_dev, info.st_ino)
        if key in self.walking:  # a symlink back into the tree, or walked already
            return
        frame = _Frame(directory, key, _entries(directory, root, _CHUNK))
        self.walking[key] = frame
        stack.append(frame)

    def _listed(self, name: str) -> bool:
        """Whether a file of this name is one the walk lists (if regular)."""
        return not name.startswith(".") and name.lower().endswith(self.extensions)

    def _found(self, path: str, name: str) -> bool:
        """Whether the entry ``path`` of a directory being walked is a document to load."""
        try:
            info = os.lstat(path)
        except OSError:  # gone since the listing: loading it says so
            return self._listed(name)
        if stat.S_ISLNK(info.st_mode):
            return self._linked(path, name)
        if not self._listed(name):
            return False
        kind = _not_regular(info.st_mode)
        if kind is not None:
            self.warn(_skipped(path, kind))
            return False
        identity = info.st_dev << 64 | info.st_ino
        if identity in self.met:
            return False
        if info.st_nlink > 1:
            self.met.add(identity)
        return True

    def _linked(self, path: str, name: str) -> bool:
        """A symlink met in a directory: a loop is an error whatever its name."""
        try:
            info = os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _os_error(error, Location(path)) from None
            return self._listed(name)  # dangling: loading it says so
        if not self._listed(name):
            return False
        if self.inside is not None:
            self._refuse_outside(path)
        kind = _not_regular(info.st_mode)
        if kind is not None:
            self.warn(_skipped(path, kind))
            return False
        return self.first(path, info)

    def _refuse_outside(self, path: str) -> None:
        """A confined walk's refusal of a link that resolves outside its directory."""
        assert self.inside is not None
        if os.path.commonpath([self.inside, os.path.realpath(path)]) != self.inside:
            raise LoadError(
                f"a symbolic link out of the directory given ({_escaped_name(self.given)}): "
                "not read",
                Location(_escaped_name(path)),
                code="file-unreadable",
            )

    def first(self, path: str, info: os.stat_result | None) -> bool:
        """Whether ``path`` (named, or a symlink met in a walk) is a file met for the
        first time, recording it if so. What cannot be read counts as new: loading
        it says what is wrong."""
        if info is None:
            try:
                info = os.stat(path)
            except OSError:
                return True
        if not stat.S_ISREG(info.st_mode):
            return True
        identity = info.st_dev << 64 | info.st_ino
        if identity in self.met:
            return False
        if info.st_nlink == 1 and self._walked_past(path):
            return False
        self.met.add(identity)
        return True

    def _walked_past(self, path: str) -> bool:
        """Whether the one directory entry of the file ``path`` names was listed
        already: its directory entered, its name passed, and one the walk lists."""
        entry = os.path.realpath(path)
        directory, name = os.path.split(entry)
        try:
            info = os.stat(directory)
        except OSError:
            return False
        key = (info.st_dev, info.st_ino)
        if key not in self.walking:
            return False
        frame = self.walking[key]
        passed = frame is None or (frame.current is not None and name < frame.current)
        return passed and self._listed(name)


def _skipped(path: str, kind: str) -> str:
    """The warning for an entry skipped as not a regular file, its name inert: a name
    may hold a line break, and a line of its own such as ``::stop-commands::`` on
    stderr would make a CI runner ignore every annotation after it."""
    from .formats.inert import inert  # (only when warning)

    return f"{inert(path)}: skipped: not a regular file ({kind})"


def _named_in_utf8(path: str) -> str | LoadError:
    """``path``, or the error that it is not UTF-8 (a name of undecodable bytes, which
    Python holds as lone surrogates): no report could name the file, and writing one
    failed. The error names it with those bytes escaped (``\\xff``)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = _escaped_name(path)
        message = "the file name is not valid UTF-8: rename it (a report names each file in UTF-8)"
        return LoadError(message, Location(shown), code="file-unreadable")
    return path


def _escaped_name(path: str) -> str:
    """``path`` as a report can name it: undecodable bytes of a file name escaped."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class _Frame:
    """A directory being walked: its entries not walked yet, as :func:`_entries`
    gives them, and the name of the entry being walked."""

    __slots__ = ("current", "entries", "key", "path")

    def __init__(self, path: str, key: tuple[int, int], entries: Iterator[str]) -> None:
        self.path = path
        self.key = key
        self.entries = entries
        self.current: str | None = None


def _warn(message: str) -> None:
    print(f"policygate: warning: {message}", file=sys.stderr)


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except OSError as error:
        raise _os_error(error, Location(path)) from None


def _os_error(error: OSError, location: Location) -> LoadError:
    if error.errno == errno.ELOOP:
        message = "symlink loop (too many levels of symbolic links)"
        return LoadError(message, location, code="file-unreadable")
    if error.errno == errno.ENOENT:
        if os.path.islink(location.path):
            message = "broken symbolic link: its target does not exist"
            return LoadError(message, location, code="file-not-found")
        return LoadError("no such file or directory", location, code="file-not-found")
    if error.errno in (errno.EACCES, errno.EPERM):
        return LoadError("permission denied", location, code="file-unreadable")
    if error.errno == errno.EISDIR:
        return LoadError("is a directory, not a file", location, code="file-unreadable")
    return LoadError(f"cannot read: {error.strerror or error}", location, code="file-unreadable")


_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str | None:
    """Why a file of this mode cannot be loaded (``"a named pipe"``), or ``None``."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((kind for test, kind in _KINDS if test(mode)), "not a file")


# The entries of one directory held at once, at least: a directory of more is read
# again for each next chunk of its names (a 32nd of them, if that is more).
_CHUNK = 16384
_DIRECTORY = "\0"  # marks a directory's name: no name holds it, and it sorts first


def _entries(directory: str, root: str, chunk: int) -> Iterator[str]:
    """The names of ``directory``'s visible entries in sorted order, those that are
    directories (a symlink to one included; one that cannot be followed is a file)
    ending with ``_DIRECTORY``: as ``"a" < "a.yaml" < "ab"``, ``"a\\0"`` sorts where
    ``"a"`` does.

    What is held is one chunk of names: the smallest ``chunk`` after the last one
    given, found in one read of the directory. A directory of at most ``chunk``
    entries is read once, and one of a million files 32 times for a few MB held,
    not a hundred."""
    after: str | None = None
    while True:
        seen = [0]
        names = _smallest(_visible(directory, root, after, seen), chunk)
        yield from names
        if seen[0] <= len(names):
            return
        if after is None:
            chunk = max(chunk, seen[0] // 32)
        after = names[-1].rstrip(_DIRECTORY)


def _smallest(names: Iterator[str], count: int) -> list[str]:
    """The ``count`` smallest of distinct ``names``, sorted, holding at most half as
    many again: past that, the list is sorted and cut, and what sorts after its
    last name is not taken any more."""
    kept: list[str] = []
    bound: str | None = None
    most = count + count // 2
    for name in names:
        if bound is not None and name > bound:
            continue
        kept.append(name)
        if len(kept) >= most:
            kept.sort()
            del kept[count:]
            bound = kept[-1]
    kept.sort()
    del kept[count:]
    return kept


def _visible(directory: str, root: str, after: str | None, seen: list[int]) -> Iterator[str]:
    """The visible entries of ``directory`` named after ``after``, marked as
    :func:`_entries` gives them, counted in ``seen[0]``."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or (after is not None and name <= after):
                    continue
                seen[0] += 1
                try:
                    is_directory = entry.is_dir()
                except OSError:
                    is_directory = False
                yield name + _DIRECTORY if is_directory else name
    except OSError as error:
        raise _unreadable_directory(error, root) from None


def _unreadable_directory(error: OSError, root: str) -> LoadError:
    return LoadError(f"cannot read directory: {error.strerror}",
                     Location(error.filename or root), code="file-unreadable")  # fmt: skip


def _read_file(name: str, limits: Limits) -> bytes:
    location = Location(name)
    _refuse_unless_regular(_stat(name).st_mode, location)
    try:
        # Non-blocking, so a file swapped for a named pipe since the stat cannot
        # block the open either; fstat then refuses it.
        with open(name, "rb", opener=_open_nonblocking) as handle:
            info = os.fstat(handle.fileno())
            _refuse_unless_regular(info.st_mode, location)
            if info.st_size > limits.max_bytes:
                raise _too_large(info.st_size, limits, location)
            return handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise _os_error(error, location) from None


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _refuse_unless_regular(mode: int, location: Location) -> None:
    kind = _not_regular(mode)
    if kind == "a directory":
        raise LoadError("is a directory, not a file", location, code="file-unreadable")
    if kind is not None:
        raise LoadError(f"not a regular file ({kind})", location, code="file-unreadable")


def _too_large(size: int, limits: Limits, location: Location) -> LoadError:
    return LoadError(
        f"file is larger than {limits.max_bytes} bytes ({size} bytes)", location,
        code="file-too-large",
    )


_BOM = "\ufeff"


def _decode(text: str | bytes, source: str, limits: Limits) -> str:
    """Text as ``str`` without a BOM, after the size check and strict UTF-8 decoding."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise _too_large(size, limits, Location(source))
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line, column = _line_column(raw[: error.start].decode("utf-8"))
            raise LoadError(
                f"not valid UTF-8 at byte {error.start}", Location(source, line, column),
                code="file-unreadable",
            ) from None
    return text[1:] if text.startswith(_BOM) else text


def _line_column(prefix: str) -> Position:
    """1-based position just after ``prefix``."""
    line_start = prefix.rfind("\n") + 1
    return prefix.count("\n") + 1, len(prefix) - line_start + 1


class _LimitError(yaml.composer.ComposerError):
    """The Python reader stops at a limit (depth, nodes): a document too large, not a
    syntax error, though PyYAML's machinery carries it."""


class _LibyamlRefused(Exception):
    """libyaml refused the text: the Python reader should read it again (see module doc)."""

    def __init__(self, error: yaml.YAMLError | None = None) -> None:
        super().__init__("libyaml refused the text")
        self.error = error


def _load(
    text: str, source: str, limits: Limits, loader_class: type, nonfinite_as_text: bool = False
) -> list[Document]:
    documents: list[Document] = []
    loader = None
    if loader_class is not _PyLoader and len(text) > limits.max_nodes:
        _count_nodes(text, source, limits, loader_class)
    try:
        loader = loader_class(text)  # the Python reader checks characters right here
        if isinstance(loader, _PyLoader):
            loader.configure(limits)
        count = 0
        spent = _Spent()  # the file's expanded nodes and characters, every document
        aliases = "&" in text
        while loader.check_node():
            root = loader.get_node()
            count += 1
            if count > limits.max_documents:
                raise LoadError(
                    f"more than {limits.max_documents} documents in one file",
                    _mark_location(source, root.start_mark),
                    code="document-too-large",
                )
            if _is_empty(root):
                continue
            builder = _Builder(source, limits, aliases=aliases, spent=spent)
            builder.nonfinite_as_text = nonfinite_as_text
            documents.append(builder.document(root, len(documents)))
    except yaml.YAMLError as error:
        if loader_class is not _PyLoader:
            raise _LibyamlRefused(error) from None
        raise _syntax_error(error, text, source) from None
    except (ValueError, OverflowError) as error:  # e.g. \U00110000 in the Python scanner
        raise LoadError(f"invalid escape or character: {error}", _where(loader, source),
                        code="yaml-syntax") from None  # fmt: skip
    except RecursionError:  # only when max_depth is set above what Python's stack allows
        raise LoadError("nesting too deep to load", _where(loader, source),
                        code="document-too-large") from None  # fmt: skip
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def _count_nodes(text: str, source: str, limits: Limits, loader_class: type) -> None:
    """Refuse a file with more than ``max_nodes`` nodes before libyaml composes it.

    Composing builds a Python object per node (slow, and large), and libyaml
    composes a whole document before anything can look at it; counting parser
    events is several times cheaper and stops at the limit. Only texts longer
    than ``max_nodes`` characters can hold that many nodes, so small files skip this.
    """
    parser = loader_class(text)
    nodes = documents = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > limits.max_documents:
                    message = f"more than {limits.max_documents} documents in one file"
                    raise LoadError(message, _event_location(source, event),
                                    code="document-too-large")  # fmt: skip
            elif isinstance(event, _NODE_EVENTS):
                nodes += 1
                if nodes > limits.max_nodes:
                    message = _file_nodes_message(limits.max_nodes)
                    raise LoadError(message, _event_location(source, event),
                                    code="document-too-large")  # fmt: skip
    except yaml.YAMLError as error:
        raise _LibyamlRefused(error) from None
    finally:
        parser.dispose()


def _event_location(source: str, event: yaml.Event) -> Location:
    mark = event.start_mark
    return Location(source) if mark is None else _mark_location(source, mark)  # type: ignore[arg-type]


_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _file_nodes_message(max_nodes: int) -> str:
    return f"file has more than {max_nodes} nodes"


def _where(loader: Any, source: str) -> Location:
    """The Python scanner's current position; libyaml does not expose one."""
    line, column = getattr(loader, "line", None), getattr(loader, "column", None)
    if line is None or column is None:
        return Location(source)
    return Location(source, line + 1, column + 1)


def _is_empty(root: Node) -> bool:
    """A document with no content at all (``---`` alone, or only comments)."""
    return (
        isinstance(root, ScalarNode) and root.tag == _NULL and root.value == "" and not root.style
    )


def _syntax_error(error: yaml.YAMLError, text: str, source: str) -> LoadError:
    """A short one-line message at the place the YAML parser gave up."""
    if isinstance(error, yaml.reader.ReaderError):
        character = error.character
        code = ord(character) if isinstance(character, str) else int(character)
        location = Location(source, *_line_column(text[: error.position]))
        return LoadError(f"{error.reason}: #x{code:04x}", location, code="yaml-syntax")
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.context_mark
        opened = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        message = _for_people(error.problem or "invalid YAML", error.context or "", opened)
        return LoadError(
            message,
            _mark_location(source, error.problem_mark),
            code="document-too-large" if isinstance(error, _LimitError) else "yaml-syntax",
        )
    message = str(error).splitlines()[0] if str(error) else "invalid YAML"
    return LoadError(message, Location(source), code="yaml-syntax")


# PyYAML's names for the tokens it expected or found, in words.
_TOKENS = {
    "<block end>": "the end of the indented block", "<block mapping start>": "a new key",
    "<block sequence start>": "a new list", "<stream end>": "the end of the file",
    "<document start>": "'---'", "<scalar>": "a value", "'?'": "a key",
    "<block entry>": "a list item ('-')", "<flow mapping end>": "'}'",
    "<flow sequence end>": "']'",
}  # fmt: skip


def _for_people(problem: str, context: str, opened: str) -> str:
    """PyYAML's account of a syntax error (``expected <block end>, but found '?'
    (while parsing a block collection ...)``) in a person's words; the location
    stays the parser's."""
    at = f" at {opened}" if opened else ""
    if problem == "mapping values are not allowed here":
        return ("a ':' where no key can start: check the indentation of this line, "
                "or quote a value that holds ': '")  # fmt: skip
    if "cannot start any token" in problem and "'\\t'" in problem:
        return "a tab character: YAML indents with spaces only"
    if "flow sequence" in context and problem.startswith("expected ','"):
        return f"the list opened{at} is not closed: expected ',' or ']'"
    if "flow mapping" in context and problem.startswith("expected ','"):
        return f"the map opened{at} is not closed: expected ',' or '}}'"
    if "quoted scalar" in context and "end of stream" in problem:
        return f"the quoted string opened{at} is never closed"
    if context.startswith(("while parsing a block collection", "while parsing a block mapping")):
        return (f"this line does not fit the indentation of the list or map that starts{at} "
                "(a list item and a key at the same level, or a key indented too little?)"
                )  # fmt: skip
    if "could not find expected ':'" in problem:
        return f"a key without ':' (expected 'key: value'){at and ' in the key that starts' + at}"
    problem = problem.replace("the node content", "a value")
    for token, words in _TOKENS.items():
        problem = problem.replace(f"'{token}'", words).replace(token, words)
    return f"{problem} ({context}{at})" if context else problem


def _mark_location(source: str, mark: yaml.Mark) -> Location:
    return Location(source, mark.line + 1, mark.column + 1)


def _depth_message(max_depth: int) -> str:
    return f"nesting deeper than {max_depth} levels"


# --- building plain data from the node graph ---------------------------------

_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _MERGE}
_KEY_KINDS = {_INT: "int", _FLOAT: "float", _BOOL: "bool", _NULL: "null"}
_SURROGATES = re.compile("[\ud800-\udfff]")


class _Spent:
    """What the documents of one file built so far expand to, against its limits."""

    __slots__ = ("nodes", "chars", "aliased")  # a plain class: no dataclass made at import

    def __init__(self) -> None:
        self.nodes = 0
        self.chars = 0
        self.aliased = False  # an alias was met: the messages speak of expansion


class _Builder:
    """Builds one document: first measures the graph, then walks it into data."""

    def __init__(
        self, source: str, limits: Limits, aliases: bool = True, spent: _Spent | None = None
    ) -> None:
        self.source = source
        self.limits = limits
        self.aliases = aliases  # False: the text has no anchor, so no node is shared
        self.spent = spent if spent is not None else _Spent()
        self.nonfinite_as_text = False  # .nan/.inf kept as their text (see load_text)
        self.positions: dict[JsonPath, Position] = {}
        self.key_positions: dict[JsonPath, Position] = {}
        # What the earlier documents of the file left of the limits.
        self._nodes_left = limits.max_nodes - self.spent.nodes
        self._chars_left = limits.max_expanded_chars - self.spent.chars
        # Keyed by id(node): aliases share node objects, so each is measured once.
        self._sizes: dict[int, int] = {}
        self._chars: dict[int, int] = {}
        self._heights: dict[int, int] = {}
        self._open: set[int] = set()

    def document(self, root: Node, index: int) -> Document:
        if self.aliases:
            self._measure(root, 0)
            key = id(root)
            nodes, chars = self._sizes[key], self._chars[key]
        else:
            nodes, chars = self._scan(root)
        self.spent.nodes += nodes
        self.spent.chars += chars
        data = self._build(root, ())
        return Document(self.source, index, data, self.positions, self.key_positions)

    def _error(self, message: str, node: Node, code: str = "document-too-large") -> LoadError:
        """An error at ``node``; most are the limits, the others say their code."""
        return LoadError(message, _mark_location(self.source, node.start_mark), code=code)

    # The measuring pass makes the limits exact and cheap: a node's expanded
    # size is computed once and reused at each alias, so refusing a document
    # costs time proportional to its text, not to its expansion.
    # Nodes and characters (of every scalar, keys included) are summed over the
    # expansion, so a 1 MB string aliased 5,000 times is 5 G characters, and over
    # the file, so 1,000 documents cannot each expand to the limit.
    def _measure(self, node: Node, depth: int) -> int:
        key = id(node)
        size = self._sizes.get(key)
        if size is not None:
            self.spent.aliased = True
            if depth + self._heights[key] > self.limits.max_depth:
                raise self._error(_depth_message(self.limits.max_depth), node)
            return size
        if key in self._open:
            raise self._error("recursive alias: a node contains itself", node, code="yaml-tag")
        height = 0
        if isinstance(node, ScalarNode):
            size = 1
            chars = len(node.value)
            if chars > self.limits.max_string:
                raise self._error(
                    f"scalar is longer than {self.limits.max_string} characters", node
                )
            if chars > self._chars_left:
                raise self._error(self._chars_message(), node)
        else:
            if depth >= self.limits.max_depth:
                raise self._error(_depth_message(self.limits.max_depth), node)
            self._open.add(key)
            size = 1
            chars = 0
            for child in _children(node):
                size += self._measure(child, depth + 1)
                chars += self._chars[id(child)]
                height = max(height, self._heights[id(child)])
                if size > self._nodes_left:
                    raise self._error(self._nodes_message(), node)
                if chars > self._chars_left:
                    raise self._error(self._chars_message(), node)
            self._open.discard(key)
            height += 1
        self._sizes[key] = size
        self._chars[key] = chars
        self._heights[key] = height
        return size

    def _scan(self, root: Node) -> tuple[int, int]:
        """:meth:`_measure` for a text without anchors, where every node is met once:
        the same checks in the same order, without the bookkeeping aliases need.
        Returns the document's nodes and characters."""
        max_depth, max_string = self.limits.max_depth, self.limits.max_string
        stack: list[tuple[Node, int]] = [(root, 0)]
        count = chars = 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > self._nodes_left:  # (texts that long were counted already)
                self._measure(root, 0)  # says where, as it always has
            if type(node) is ScalarNode:
                length = len(node.value)
                if length > max_string:
                    raise self._error(f"scalar is longer than {max_string} characters", node)
                chars += length
                if chars > self._chars_left:
                    self._measure(root, 0)
                continue
            if depth >= max_depth:
                raise self._error(_depth_message(max_depth), node)
            children = list(_children(node))
            stack.extend((child, depth + 1) for child in reversed(children))
        return count, chars

    def _nodes_message(self) -> str:
        limit = self.limits.max_nodes
        if self.spent.aliased:
            return f"alias expansion exceeds {limit} nodes"
        return f"document has more than {limit} nodes"

    def _chars_message(self) -> str:
        limit = self.limits.max_expanded_chars
        if self.spent.aliased:
            return f"alias expansion exceeds {limit} characters"
        return f"file has more than {limit} characters in its strings and keys"

    def _build(self, node: Node, path: JsonPath) -> Any:
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            self._check_tag(node, _SEQ)
            return [self._build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)  # the composer makes only these three kinds
        self._check_tag(node, _MAP)
        result: dict[str, Any] = {}
        for key, key_node, value_node in self._entries(node):
            entry = (*path, key)
            mark = key_node.start_mark
            self.key_positions[entry] = (mark.line + 1, mark.column + 1)
            result[key] = self._build(value_node, entry)
        return result

    def _entries(self, node: MappingNode) -> list[tuple[str, Node, Node]]:
        """The mapping's entries with ``<<`` merges applied, without building values."""
        entries: list[tuple[str, Node, Node]] = []
        seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                key = "<<"
                merges.append(value_node)
            else:
                key = self._key(key_node)
                entries.append((key, key_node, value_node))
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise self._error(f"duplicate key {key!r} (first at line {first})", key_node,
                                  code="duplicate-key")  # fmt: skip
            seen[key] = key_node
        for merge in merges:
            if isinstance(merge, SequenceNode):
                self._check_tag(merge, _SEQ)
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise self._error(
                        "merge key '<<' takes a mapping or a list of mappings",
                        source,
                        code="yaml-tag",
                    )
                self._check_tag(source, _MAP)
                for key, key_node, value_node in self._entries(source):
                    if key not in seen:
                        seen[key] = key_node
                        entries.append((key, key_node, value_node))
        return entries

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            self._check_tag(node, _SEQ if isinstance(node, SequenceNode) else _MAP)
            kind = "a sequence" if isinstance(node, SequenceNode) else "a mapping"
            raise self._error(f"mapping key must be a string, got {kind}", node, code="yaml-tag")
        key_kind = _KEY_KINDS.get(node.tag)
        if key_kind is not None:
            quoted = "'" + node.value.replace("'", "''") + "'"
            raise self._error(
                f"mapping key must be a string, got {key_kind} (quote it: {quoted})", node,
                code="yaml-tag",
            )
        value = self._scalar(node)
        assert isinstance(value, str)
        return value

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            raise self._error(_tag_message(tag), node, code="yaml-tag")
        if tag in (_STR, _MERGE):  # a "<<" that is not a key is just text
            return self._text(node)
        value: str = node.value
        if tag == _NULL and _CORE_NULL.match(value):
            return None
        if tag == _BOOL and _CORE_BOOL.match(value):
            return value[0] in "tT"
        if tag == _INT and _CORE_INT.match(value):
            return self._integer(node)
        if tag == _FLOAT and _CORE_FLOAT.match(value):
            number = _core_float(value)
            if not math.isfinite(number) and self.nonfinite_as_text:
                return value
            if not math.isfinite(number):
                raise self._error(
                    f"{_shown(value)} is not a finite number; JSON has no infinity or NaN"
                    " (quote it for a string)",
                    node,
                    code="yaml-tag",
                )
            return number
        # Only an explicit tag gets here (!!bool yes, !!int 1_000): a plain scalar
        # got its tag from these same patterns.
        message = f"{_shown(value)} is not a valid {_short_tag(tag)}"
        raise self._error(message, node, code="yaml-tag")

    def _integer(self, node: ScalarNode) -> int:
        """A core-schema integer; more than 4300 digits (Python's cap on converting
        decimal text, which takes time quadratic in the length) is refused."""
        value: str = node.value
        if value.startswith(("0o", "0x")):
            number = int(value[2:], 8 if value[1] == "o" else 16)  # linear in the length
            too_long = number >= _INT_CEILING
        else:
            digits = value.lstrip("+-").lstrip("0")
            too_long = len(digits) > _MAX_INT_DIGITS
            if not too_long:
                number = int(digits or "0")
                number = -number if value.startswith("-") else number
        if too_long:
            raise self._error(
                f"integer {_shown(value)} has more than {_MAX_INT_DIGITS} digits"
                " (quote it for a string)",
                node,
            )
        return number

    def _text(self, node: ScalarNode) -> str:
        value: str = node.value
        if not value.isascii() and _SURROGATES.search(value):
            try:
                value = value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                message = "unpaired surrogate escape in a string"
                raise self._error(message, node, code="yaml-syntax") from None
        return value

    def _check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self._error(_tag_message(node.tag), node, code="yaml-tag")


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    else:
        for key_node, value_node in node.value:
            yield key_node
            yield value_node


_MAX_INT_DIGITS = 4300  # sys.int_info.default_max_str_digits
_INT_CEILING = 10**_MAX_INT_DIGITS


def _core_float(value: str) -> float:
    """A value that matches :data:`_CORE_FLOAT` as a float (``.inf``, ``-.5``, ``1.``)."""
    if value[-1] in "fFnN":  # .inf, -.Inf, .NaN...
        return float(value.replace(".", "", 1))
    return float(value)


def _shown(value: str) -> str:
    """A scalar quoted for a message, cut short if long."""
    return repr(value) if len(value) <= 40 else repr(value[:30]) + f"... ({len(value)} characters)"


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _tag_message(tag: str) -> str:
    return (
        f"tag {_short_tag(tag)} is not allowed: only JSON-compatible values"
        " (string, number, boolean, null, mapping, sequence) can be loaded"
    )
