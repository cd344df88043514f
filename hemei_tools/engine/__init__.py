"""hemei_tools.engine."""
