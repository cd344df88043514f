"""hemei_tools.render."""
