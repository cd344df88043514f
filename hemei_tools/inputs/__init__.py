"""hemei_tools.inputs."""
