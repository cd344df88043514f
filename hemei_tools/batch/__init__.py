"""hemei_tools.batch."""
