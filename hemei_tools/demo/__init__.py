"""Synthetic demo data: generated from a fixed seed on top of the real village list.

Called by the ``hemei demo`` command and by tests; never by a report.
"""

from hemei_tools.demo.generate import generate_demo, write_demo, write_tables

__all__ = ["generate_demo", "write_demo", "write_tables"]
