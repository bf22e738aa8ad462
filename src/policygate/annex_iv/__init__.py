"""The Annex IV technical file of a model (Regulation (EU) 2024/1689, Art. 11):
:mod:`.sections` is Annex IV and where a record holds each part, :mod:`.build`
fills it from the record and its evaluation, :mod:`.render` writes the
Markdown and HTML drafts. ``policygate docs annex-iv`` is the command."""

from .build import TechnicalFile, technical_file
from .render import render_html, render_markdown

__all__ = ["TechnicalFile", "render_html", "render_markdown", "technical_file"]
