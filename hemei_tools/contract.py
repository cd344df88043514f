"""What the report kernel and the renderer agree on, and nothing else.

A report notebook publishes a small JSON summary (region, year, synthetic flag, headline
figures) as an output of this MIME type; the renderer lifts it out of the executed notebook for
the banner, the HTML title and the batch index, and removes it. Both sides import only this
module, so the renderer never imports the engine or the presentation layer.
"""

from __future__ import annotations

#: MIME type of the summary output a report notebook publishes.
SUMMARY_MIME = "application/vnd.hemei.summary+json"

#: The banner every report built from synthetic data carries.
SYNTHETIC_BANNER = "示例数据（模拟）：本报告使用程序生成的模拟数据，仅用于演示方法，不代表任何真实村庄的实际情况。"
