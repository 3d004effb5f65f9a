"""The batch drift and data-quality report: compute once, render to JSON, HTML or Markdown."""

from watchkeeper.report.compute import compute_report
from watchkeeper.report.model import Report
from watchkeeper.report.render_html import render_html
from watchkeeper.report.render_json import render_json
from watchkeeper.report.render_markdown import render_markdown

__all__ = ["Report", "compute_report", "render_html", "render_json", "render_markdown"]
