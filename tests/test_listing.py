"""How a directory of documents is listed (``expand_paths``): sorted by path
components, hidden entries and non-documents left out, each directory walked once,
and no more held in memory than the paths found and the listings being walked."""

from __future__ import annotations

import os
import tempfile
import tracemalloc
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import documents
from policygate.audit import expand_sources
from policygate.documents import expand_paths, iter_paths

# Names that sort awkwardly against each other: a directory "a" and a file
# "a.yaml", "a-b" before "a.", upper case before lower, hidden ones.
NAMES = st.sampled_from(["a", "a.yaml", "a-b.yml", "a.b", "B.json", "b", "b.YAML", "z.txt",
                         ".hidden.yaml", ".git", "0.json", "a_", "ab.yaml"])  # fmt: skip
TREES = st.recursive(
    st.just("file"),
    lambda children: st.dictionaries(NAMES, children, max_size=5),
    max_leaves=25,
)


def _write(root: Path, tree: object) -> None:
    assert isinstance(tree, dict)
    for name, child in tree.items():
        if child == "file":
            (root / name).write_text("{}\n", encoding="utf-8")
        else:
            (root / name).mkdir()
            _write(root / name, child)


def _expected(root: Path) -> list[str]:
    """The law: every visible document under root, sorted by its path components."""
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith((".yaml", ".yml", ".json")):
                found.append(os.path.join(directory, name))
    return sorted(found, key=lambda p: os.path.relpath(p, root).split(os.sep))


@settings(max_examples=150)
@given(TREES.filter(lambda t: isinstance(t, dict)))
def test_a_directory_lists_its_documents_sorted_by_path_components(tree):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        root.mkdir()
        _write(root, tree)
        assert expand_paths([str(root)]) == _expected(root)


@settings(max_examples=100)
@given(TREES.filter(lambda t: isinstance(t, dict)), st.integers(1, 4))
def test_a_directory_read_in_chunks_lists_the_same(tree, chunk):
    """A directory of more names than a chunk is read once per chunk of names: the
    listing is the same, whatever the chunk's size."""
    saved = documents._CHUNK
    documents._CHUNK = chunk
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "root"
            root.mkdir()
            _write(root, tree)
            assert expand_paths([str(root)]) == _expected(root)
    finally:
        documents._CHUNK = saved


@given(st.sets(st.text(min_size=1, max_size=4)), st.integers(1, 40))
def test_a_chunk_is_the_smallest_names_sorted(names, count):
    assert documents._smallest(iter(names), count) == sorted(names)[:count]


def test_a_symlinked_directory_is_walked_where_it_is_first_met(tmp_path):
    """``b-link`` points at ``c``: the walk meets it first (b < c), so c's documents are
    listed under b-link and c itself is not walked again."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "m.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "b-link").symlink_to(tmp_path / "c", target_is_directory=True)
    assert expand_paths([str(tmp_path)]) == [
        str(tmp_path / "a.yaml"), str(tmp_path / "b-link" / "m.yaml")]  # fmt: skip


def test_listing_many_files_holds_little_more_than_their_paths(tmp_path):
    """Listing 20,000 files allocates at most about twice their paths' size at its
    peak (the paths kept, the one directory's names being walked): no sort key or
    pair per file on top."""
    for i in range(20_000):
        (tmp_path / f"model-{i:06d}.yaml").touch()
    tracemalloc.start()
    try:
        paths = expand_paths([str(tmp_path)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(paths) == 20_000
    size = sum(len(p) + 49 + 8 for p in paths)  # a str's bytes, its header, a list slot
    assert peak < 2.5 * size, (peak, size)


def test_an_audit_lists_20000_files_holding_a_chunk_of_names_not_each_path(
    tmp_path, monkeypatch
):
    """An audit takes its sources as the walk finds them, and a directory larger
    than a chunk is read a chunk of names at a time: what the listing holds does not
    grow with the files (it was every path, and a number per file met)."""
    monkeypatch.setattr(documents, "_CHUNK", 1000, raising=False)
    for i in range(20_000):
        (tmp_path / f"model-{i:06d}.yaml").touch()
    size = 20_000 * (len(str(tmp_path / "model-000000.yaml")) + 49 + 8)
    tracemalloc.start()
    try:
        count = 0
        last = ""
        for item in expand_sources([str(tmp_path)]):
            assert item.error is None and item.source > last
            last = item.source
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < size / 8, (peak, size)


def test_a_directory_of_more_than_a_chunk_is_read_once_per_chunk(tmp_path, monkeypatch):
    """Reading again is the price of holding a chunk: 10 files in chunks of 3 are
    four reads of the directory; 3 files, one."""
    reads = []
    scandir = os.scandir

    def counted(path):
        reads.append(path)
        return scandir(path)

    monkeypatch.setattr(documents, "_CHUNK", 3)
    monkeypatch.setattr(documents.os, "scandir", counted)
    for i in range(10):
        (tmp_path / f"m{i}.yaml").touch()
    assert [Path(p).name for p in iter_paths([str(tmp_path)])] == [f"m{i}.yaml" for i in range(10)]
    assert len(reads) == 4
    few = tmp_path / "few"
    few.mkdir()
    for i in range(3):
        (few / f"m{i}.yaml").touch()
    reads.clear()
    assert len(list(iter_paths([str(few)]))) == 3
    assert len(reads) == 1


def test_a_directory_nested_1200_deep_is_listed_not_a_crash():
    """The walk keeps its own stack: a tree deeper than Python's recursion limit
    (which os.walk's recursion hit, an internal error) is listed like any other.
    (Outside pytest's tmp_path, and removed level by level: shutil.rmtree recurses.)"""
    root = tempfile.mkdtemp(prefix="policygate-deep-")
    here = os.getcwd()
    levels = 0
    try:
        os.chdir(root)
        for _ in range(1200):
            os.mkdir("d")
            os.chdir("d")
            levels += 1
        Path("m.yaml").write_text("{}\n", encoding="utf-8")
        os.chdir(here)
        deepest = os.path.join(root, *["d"] * levels, "m.yaml")
        assert expand_paths([root]) == [deepest]
    finally:
        os.chdir(here)
        leaf = os.path.join(root, *["d"] * levels)
        if os.path.exists(os.path.join(leaf, "m.yaml")):
            os.remove(os.path.join(leaf, "m.yaml"))
        for level in range(levels, -1, -1):
            os.rmdir(os.path.join(root, *["d"] * level))
