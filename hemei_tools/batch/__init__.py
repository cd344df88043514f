"""Many reports: plan them (:mod:`.plan`), run them on a scheduler (:mod:`.run`), index them
(:mod:`.index`)."""

from hemei_tools.batch.run import run_batch

__all__ = ["run_batch"]
