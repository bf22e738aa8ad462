"""Risks and regulatory controls: catalogs now; the risk register and the graph build on them."""
