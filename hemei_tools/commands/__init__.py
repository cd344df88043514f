"""Subcommands of ``hemei``, one module each; ``hemei_tools.cli`` registers them.

Every module defines one click command with the module's name. Heavy imports happen inside
the command body so that ``hemei --help`` stays fast.
"""
