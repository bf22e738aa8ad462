"""A report shows each model's own evidence (SECURITY.md): text a model team
controls cannot make the HTML report draw another model's graph in place of
its own, nor send a link to another model's or risk's section."""

from __future__ import annotations

from policygate.formats.svggraph import Graph, Graphs

# Two bodies whose SHA-256 digests share their first 48 bits (found in about a
# minute by a Pollard rho search): graphs keyed by a truncated digest took the
# second for a repeat of the first and drew the first in its place.
COLLIDING = ("body-2ca407133a86", "body-cbc7c783e060")


def test_two_distinct_graphs_are_both_drawn_even_when_their_digests_collide():
    graphs = Graphs()
    good, bad = Graph(COLLIDING[0], 10, 10), Graph(COLLIDING[1], 10, 10)
    first = graphs.svg([good], "a passing model's risk")
    second = graphs.svg([bad], "a failing model's risk")
    assert COLLIDING[0] in first
    assert COLLIDING[1] in second, second


def test_two_distinct_stacks_are_both_drawn_even_when_their_graphs_collide():
    graphs = Graphs()
    plain = Graph("plain", 10, 10)
    first = graphs.svg([plain, Graph(COLLIDING[0], 10, 10)], "first")
    second = graphs.svg([plain, Graph(COLLIDING[1], 10, 10)], "second")
    assert COLLIDING[0] in first
    assert COLLIDING[1] in second, second
