"""Checks that run Prometheus' and Alertmanager's own tools (promtool, amtool) on rendered files.

Kept out of `render/`, which stays pure: these start processes.
"""
