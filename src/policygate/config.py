"""The configuration file (SPEC §11): the defaults that the long options would give.

``policygate.yaml`` in the working directory or the nearest parent, or a
``[tool.policygate]`` table in a ``pyproject.toml`` there (in one directory,
``policygate.yaml`` wins). The search stops at the first directory that has
either, and at the root of the repository the directory is in. Paths are
relative to the file. Options on the command line override it: a list option
given on the command line replaces the file's list, while ``--param``, ``--set``
and ``--input`` override the file's entries of the same name and keep the
others. ``--no-config`` ignores it.

An unknown key, a value of the wrong kind or an unknown ``fail_on`` is a
:class:`~policygate.errors.UsageError` naming the file, line and column (exit 2).
:func:`load_config` is what the command line and the admission gate use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import ConfigError, Location, UsageError
from .run import assignments

FILE_NAME = "policygate.yaml"
PYPROJECT = "pyproject.toml"

_PATH_LISTS = ("policies", "waivers", "risk_registers", "approvers", "catalogs")
KEYS = (*_PATH_LISTS, "inputs", "params", "set", "fail_on", "reports", "registry")
REGISTRY_KEYS = (
    "protected_aliases", "protected_stages", "access_policies", "lifecycle_log",
    "identity_header",
)  # fmt: skip
_FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class RegistryConfig:
    """``registry:``: what the admission gate (and ``authorize``) need."""

    protected_aliases: tuple[str, ...] = ()
    protected_stages: tuple[str, ...] = ()
    access_policies: tuple[str, ...] = ()
    lifecycle_log: str | None = None
    identity_header: str | None = None
    """A proxy header trusted for identity; ``None``: MLflow's own authentication."""


@dataclass(frozen=True)
class Config:
    """The effective settings of one configuration file (all empty without one).

    ``sources`` says where each key that was set is written (``registry.*``
    keys by their dotted name); a key absent from it has its default.
    """

    path: str | None = None
    policies: tuple[str, ...] = ()
    waivers: tuple[str, ...] = ()
    risk_registers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    set: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Record defaults, dotted path → value (applied as ``--set`` is)."""
    fail_on: str | None = None
    reports: tuple[tuple[str, str], ...] = ()
    registry: RegistryConfig = RegistryConfig()
    sources: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}))

    def settings(self) -> list[tuple[str, Any, str]]:
        """Every setting as ``(key, value, where it came from)``, in the order of
        :data:`KEYS` (``registry.*`` expanded); ``default`` for one not set."""
        rows: list[tuple[str, Any, str]] = []
        for key in KEYS:
            if key == "registry":
                for name in REGISTRY_KEYS:
                    value = getattr(self.registry, name)
                    rows.append((f"registry.{name}", _plain(value),
                                 self._source(f"registry.{name}")))  # fmt: skip
            elif key == "reports":
                rows.append((key, [f"{f}={p}" for f, p in self.reports], self._source(key)))
            else:
                rows.append((key, _plain(getattr(self, key)), self._source(key)))
        return rows

    def _source(self, key: str) -> str:
        where = self.sources.get(key)
        return str(where) if where is not None else "default"


REPOSITORY_MARKERS = (".git", ".hg", ".svn")


def find_config(start_dir: str | os.PathLike[str]) -> Path | None:
    """The configuration file for ``start_dir``: its own or its nearest parent's.

    The search ends at the root of the repository ``start_dir`` is in (a directory
    holding ``.git``, ``.hg`` or ``.svn``): a ``policygate.yaml`` that someone left
    above the checkout (in a shared ``/tmp``, a CI runner's workspace) must not
    choose the policies a gate evaluates.
    """
    directory = Path(start_dir).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
        if any((folder / marker).exists() for marker in REPOSITORY_MARKERS):
            return None
    return None


def load_config(start_dir: str | os.PathLike[str] = ".") -> Config:
    """The configuration that applies in ``start_dir`` (an empty one without a file)."""
    path = find_config(start_dir)
    if path is None:
        return Config()
    return load_config_file(path)


def load_config_file(path: str | os.PathLike[str]) -> Config:
    """One configuration file: ``policygate.yaml`` or a ``pyproject.toml``."""
    path = Path(path)
    if path.name == PYPROJECT:
        data, locate = _pyproject(path)
    else:
        data, locate = _yaml(path)
    return _parse(data, locate, path)


# --------------------------------------------------------------------------- reading


_Locate = Any  # (json path) -> Location


def _yaml(path: Path) -> tuple[Any, _Locate]:
    from .documents import load_file  # only when there is a file to read

    documents = load_file(path)
    if len(documents) != 1:
        found = "no document" if not documents else f"{len(documents)} documents"
        raise ConfigError(f"a configuration file holds one document, {path} holds {found}",
                         Location(str(path)))  # fmt: skip
    document = documents[0]

    def locate(json_path: tuple[str | int, ...], key: bool = False) -> Location:
        if key and json_path:
            return document.key_location(json_path)
        return document.location(json_path)

    return document.data, locate


def _has_table(path: Path) -> bool:
    try:
        tool = _read_toml(path).get("tool")
    except UsageError:
        return True  # a pyproject.toml that does not parse: say so, don't pass it by
    return isinstance(tool, dict) and "policygate" in tool


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(_toml_text(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} does not parse: {error}", Location(str(path))) from None


def _toml_text(path: Path) -> str:
    """A ``pyproject.toml``'s text, read as every input is (bounded, regular files only)."""
    from .documents import read_bytes
    from .errors import LoadError

    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} does not parse: {error}", Location(str(path))) from None
    except LoadError as error:
        raise ConfigError(error.message, Location(str(path))) from None
    except OSError as error:  # a file that cannot be read is an error, never a traceback
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None


def _pyproject(path: Path) -> tuple[Any, _Locate]:
    data = _read_toml(path).get("tool", {}).get("policygate")
    lines = _toml_text(path).splitlines()

    def locate(json_path: tuple[str | int, ...], key: bool = False) -> Location:
        """The line of the key in its ``[tool.policygate...]`` table (TOML's parser
        gives no positions); the table's header when it cannot be found."""
        keys = [part for part in json_path if isinstance(part, str)]
        table = "tool.policygate" + "".join(f".{k}" for k in keys[:-1])
        name = keys[-1] if keys else None
        header, inside = None, False
        for number, text in enumerate(lines, 1):
            stripped = text.strip()
            if stripped.startswith("["):
                inside = stripped.strip("[] ") == table
                header = number if inside else header
                continue
            if inside and name is not None and stripped.split("=")[0].strip() == name:
                return Location(str(path), number, text.index(name) + 1)
        return Location(str(path), header) if header else Location(str(path))

    return data, locate


# --------------------------------------------------------------------------- parsing


def _parse(data: Any, locate: _Locate, path: Path) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError("the configuration must be a mapping of settings", locate(()))
    base = path.parent
    sources: dict[str, Location] = {}
    values: dict[str, Any] = {}
    _known(data, KEYS, (), locate, "")
    for key, raw in data.items():
        where = (key,)
        sources[key] = locate(where, True)
        if key in _PATH_LISTS:
            values[key] = tuple(_path(base, p) for p in _strings(raw, where, locate, key))
        elif key == "inputs":
            named = _mapping(raw, where, locate, key)
            values[key] = MappingProxyType({
                name: _path(base, _string(value, (*where, name), locate, f"inputs.{name}"))
                for name, value in named.items()
            })  # fmt: skip
            for name in named:
                if not str(name).isidentifier():
                    raise ConfigError(f"inputs: {name!r} is not a valid name",
                                     locate((*where, name), True))  # fmt: skip
        elif key == "params":
            params = _mapping(raw, where, locate, key)
            for name in params:
                if not str(name).isidentifier():
                    raise ConfigError(f"params: {name!r} is not a parameter name",
                                     locate((*where, name), True))  # fmt: skip
            values[key] = MappingProxyType(dict(params))
        elif key == "set":
            from .models import set_path_parts

            defaults = _mapping(raw, where, locate, key)
            for name in defaults:  # refused here with its place, not later as a --set
                try:
                    set_path_parts(str(name), "set:")
                except UsageError as error:
                    raise ConfigError(error.message, locate((*where, name), True)) from None
            values[key] = MappingProxyType(dict(defaults))
        elif key == "fail_on":
            value = _string(raw, where, locate, key)
            if value not in _FAIL_ON:
                raise ConfigError(f"fail_on must be one of {', '.join(_FAIL_ON)}, got {value!r}",
                                 locate(where))  # fmt: skip
            values[key] = value
        elif key == "reports":
            values[key] = _reports(raw, where, locate, base)
        elif key == "registry":
            registry, found = _registry(raw, locate, base)
            values[key] = registry
            sources.update(found)
            del sources[key]
    return Config(path=str(path), sources=MappingProxyType(sources), **values)


def _registry(raw: Any, locate: _Locate, base: Path) -> tuple[RegistryConfig, dict[str, Location]]:
    if raw is None:
        return RegistryConfig(), {}
    table = _mapping(raw, ("registry",), locate, "registry")
    _known(table, REGISTRY_KEYS, ("registry",), locate, "registry.")
    values: dict[str, Any] = {}
    sources: dict[str, Location] = {}
    for key, value in table.items():
        where = ("registry", key)
        name = f"registry.{key}"
        sources[name] = locate(where, True)
        if key in ("protected_aliases", "protected_stages"):
            values[key] = tuple(_strings(value, where, locate, name))
        elif key == "access_policies":
            values[key] = tuple(_path(base, p) for p in _strings(value, where, locate, name))
        elif key == "lifecycle_log":
            text = None if value is None else _string(value, where, locate, name)
            values[key] = None if text is None else _path(base, text)
        else:  # identity_header
            values[key] = None if value is None else _string(value, where, locate, name)
    return RegistryConfig(**values), sources


def _reports(raw: Any, where: tuple[str, ...], locate: _Locate, base: Path) -> tuple[Any, ...]:
    """``{FORMAT: PATH}`` or a list of ``FORMAT=PATH`` (as ``--report`` takes them)."""
    if isinstance(raw, Mapping):
        pairs = [(str(f), _string(p, (*where, f), locate, f"reports.{f}")) for f, p in raw.items()]
    else:
        pairs = []
        for index, item in enumerate(_strings(raw, where, locate, "reports")):
            fmt, sep, target = item.partition("=")
            if not sep or not fmt or not target:
                raise ConfigError(f"reports: {item!r}: expected FORMAT=PATH",
                                 locate((*where, index)))  # fmt: skip
            pairs.append((fmt, target))
    from .formats import OutputFormat

    known = [f.value for f in OutputFormat]
    for fmt, _ in pairs:
        if fmt not in known:
            raise ConfigError(f"reports: unknown format {fmt!r} (known: {', '.join(known)})",
                             locate(where))  # fmt: skip
    return tuple((fmt, _path(base, target)) for fmt, target in pairs)


def _known(
    table: Mapping[Any, Any],
    known: Sequence[str],
    where: tuple[str, ...],
    locate: _Locate,
    prefix: str,
) -> None:
    for key in table:
        if key not in known:
            import difflib  # only to word an error

            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
            raise ConfigError(f"unknown configuration key {prefix}{key}{hint}",
                             locate((*where, key), True))  # fmt: skip


def _strings(raw: Any, where: tuple[Any, ...], locate: _Locate, name: str) -> list[str]:
    """A list of strings; one string is a list of one (``approvers: approvers/``)."""
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list):
        raise ConfigError(f"{name} must be a string or a list of strings, got {_kind(raw)}",
                         locate(where))  # fmt: skip
    return [_string(item, (*where, i), locate, name) for i, item in enumerate(raw)]


def _string(raw: Any, where: tuple[Any, ...], locate: _Locate, name: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{name} must be a non-empty string, got {_kind(raw)}", locate(where))
    return raw


def _mapping(raw: Any, where: tuple[Any, ...], locate: _Locate, name: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name} must be a mapping, got {_kind(raw)}", locate(where))
    return raw


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    return {bool: "a bool", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)  # fmt: skip


def _path(base: Path, value: str) -> str:
    """A path of the file, relative to the file's directory (``-`` stays standard input)."""
    if value == "-" or os.path.isabs(value):
        return value
    return os.path.normpath(base / value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- the command line


def option_defaults(config: Config, options: Sequence[str], command: str) -> dict[str, Any]:
    """Defaults for a command's options, by their parameter names, in the strings the
    options take (``NAME=VALUE``...): what click's ``default_map`` is given. Only
    the options the command has are filled. The evaluation inputs are
    :class:`~policygate.run.RunSpec`'s fields, filled as :meth:`RunSpec.from_config`
    fills them, so a command and the library read a configuration the same way."""
    from .run import RunSpec

    registry = config.registry
    spec = RunSpec.from_config(config)
    candidates: dict[str, Any] = {
        option.dest or name: list(getattr(spec, name))
        for name, option in RunSpec.options() if option.config and option.multiple
    }  # fmt: skip
    if command in ("authorize", "serve"):  # their -p takes access policies too
        policies = candidates["policies"]
        policies += [p for p in registry.access_policies if p not in policies]
    candidates.update({
        "extra_reports": [f"{fmt}={path}" for fmt, path in config.reports],
        "protected_aliases": list(registry.protected_aliases),
        "protected_stages": list(registry.protected_stages),
        "access_policies": list(registry.access_policies),
        "lifecycle_log": registry.lifecycle_log,
        "fail_on": _fail_on(config.fail_on, command),
    })  # fmt: skip
    return {
        name: value
        for name, value in candidates.items()
        if name in options and value not in (None, [])
    }


def _fail_on(value: str | None, command: str) -> str | None:
    """``fail_on`` for the commands whose ``--fail-on`` is a severity of results: not
    ``lint``'s (the level of its findings), and never ``never`` for ``authorize``
    (report-only would allow every request)."""
    if command == "lint" or (command == "authorize" and value == "never"):
        return None
    return value


__all__ = [
    "Config",
    "FILE_NAME",
    "KEYS",
    "REGISTRY_KEYS",
    "RegistryConfig",
    "assignments",
    "find_config",
    "load_config",
    "load_config_file",
    "option_defaults",
]
