"""A file met twice in a listing is read once, where it first appears, although the
walk records only the files that can be met again (hard links, symlinks' targets,
files named): a file with one link met in its directory is known by where the walk
has been."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.documents import expand_paths

DOCUMENT = (".yaml", ".yml", ".json")


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}\n", encoding="utf-8")
    return path


def test_a_symlink_after_its_target_in_the_same_directory_is_left_out(tmp_path):
    _touch(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a.yaml")]


def test_a_symlink_before_its_target_is_kept_and_the_target_left_out(tmp_path):
    _touch(tmp_path / "b.yaml")
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a.yaml")]


def test_a_symlink_into_a_directory_walked_before_is_left_out(tmp_path):
    _touch(tmp_path / "a" / "m.yaml")
    _touch(tmp_path / "a" / "z.yaml")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "m.yaml").symlink_to(tmp_path / "a" / "m.yaml")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a" / "m.yaml"),
                                             str(tmp_path / "a" / "z.yaml")]  # fmt: skip


def test_a_symlink_to_an_ancestors_file_before_or_after_the_walk_passed_it(tmp_path):
    """``d/x.yaml`` points at ``a.yaml`` (walked before d) and at ``z.yaml`` (after d):
    the first is left out, the second kept, and ``z.yaml`` itself left out."""
    _touch(tmp_path / "a.yaml")
    _touch(tmp_path / "z.yaml")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "d" / "y.yaml").symlink_to(tmp_path / "z.yaml")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a.yaml"),
                                             str(tmp_path / "d" / "y.yaml")]  # fmt: skip


def test_a_symlink_to_a_file_the_walk_does_not_list_is_kept(tmp_path):
    """Its target is hidden, in a hidden directory, or not named as a document: the
    walk never lists it, so the symlink is its only appearance."""
    _touch(tmp_path / ".hidden.yaml")
    _touch(tmp_path / ".git" / "m.yaml")
    _touch(tmp_path / "notes.txt")
    (tmp_path / "a.yaml").symlink_to(tmp_path / ".hidden.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / ".git" / "m.yaml")
    (tmp_path / "c.yaml").symlink_to(tmp_path / "notes.txt")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / n) for n in ("a.yaml", "b.yaml",
                                                                         "c.yaml")]  # fmt: skip


def test_a_file_named_after_its_directory_was_walked_is_left_out(tmp_path):
    _touch(tmp_path / "p" / "base.yaml")
    _touch(tmp_path / "p" / "extra.yaml")
    listed = expand_paths([str(tmp_path / "p"), str(tmp_path / "p" / "base.yaml")])
    assert listed == [str(tmp_path / "p" / "base.yaml"), str(tmp_path / "p" / "extra.yaml")]
    listed = expand_paths([str(tmp_path / "p" / "extra.yaml"), str(tmp_path / "p")])
    assert listed == [str(tmp_path / "p" / "extra.yaml"), str(tmp_path / "p" / "base.yaml")]


def test_a_file_named_through_a_symlinked_directory_is_known(tmp_path):
    _touch(tmp_path / "real" / "m.yaml")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    listed = expand_paths([str(tmp_path / "real"), str(tmp_path / "link" / "m.yaml")])
    assert listed == [str(tmp_path / "real" / "m.yaml")]


def test_hard_links_are_read_once_where_first_met(tmp_path):
    _touch(tmp_path / "b" / "m.yaml")
    (tmp_path / "a").mkdir()
    os.link(tmp_path / "b" / "m.yaml", tmp_path / "a" / "n.yaml")
    os.link(tmp_path / "b" / "m.yaml", tmp_path / "c.yaml")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a" / "n.yaml")]


# --------------------------------------------------------------------------- the law

FILES = [f"{d}{n}" for d in ("", "d/", "d/e/", "f/") for n in ("a.yaml", "m.json", "z.yml")]
LINKS = st.lists(
    st.tuples(st.sampled_from(["symlink", "hardlink"]), st.sampled_from(FILES),
              st.sampled_from([f"{d}{n}" for d in ("", "d/", "d/e/", "f/")
                               for n in ("b.yaml", "k.json", "y.yaml", "0.yml")])),
    max_size=8,
)  # fmt: skip


def _reference(arguments: list[str]) -> list[str]:
    """Every path each argument lists, sorted by components and without dedupe (no
    directory symlinks here, so os.walk lists what the walk does), then each file
    kept where its device and inode first appear."""
    listed: list[str] = []
    for argument in arguments:
        if not os.path.isdir(argument):
            listed.append(argument)
            continue
        found = []
        for directory, dirnames, filenames in os.walk(argument):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith(".") and name.lower().endswith(DOCUMENT):
                    found.append(os.path.join(directory, name))
        listed.extend(sorted(found, key=lambda p: os.path.relpath(p, argument).split(os.sep)))
    seen: set[tuple[int, int]] = set()
    kept = []
    for path in listed:
        info = os.stat(path)
        if (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            kept.append(path)
    return kept


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(FILES), min_size=1), LINKS,
       st.lists(st.sampled_from(["", "d", "d/e", "f", "b.yaml", "d/k.json", "f/0.yml", *FILES]),
                min_size=1, max_size=4))
def test_each_file_is_listed_once_where_it_first_appears(files, links, arguments):
    """Hard links and symlinks among the files of a tree, the tree and some of its
    directories and files named in any order: the listing equals every path listed,
    each file kept where it first appears."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in files:
            _touch(root / name)
        for kind, target, name in links:
            path = root / name
            if path.exists() or path.is_symlink() or not (root / target).exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "symlink":
                path.symlink_to(root / target)
            else:
                os.link(root / target, path)
        named = [str(root / a) if a else str(root) for a in arguments]
        named = [p for p in named if os.path.exists(p)]
        assert expand_paths(named) == _reference(named)
