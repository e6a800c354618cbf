"""Jinja2 templates for Prometheus rule files and their promtool tests.

Override any of them by name with `slostack render --templates DIR`. (This file makes the folder a
resource package, so the wheel carries the templates.)
"""
