"""hemei_tools.present."""
