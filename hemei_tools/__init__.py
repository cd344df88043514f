"""hemei-tools: 和美乡村 analysis toolkit.

Loaders and validation for village ledgers, the 和美指数 composite index and its gaps to the
Zhejiang 千万工程 benchmark, charts that render Chinese, and offline county reports.
"""

__version__ = "0.1.0"
