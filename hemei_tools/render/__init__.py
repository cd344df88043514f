"""One notebook -> an executed notebook and an offline HTML page.

:mod:`.notebooks` (report kinds and parameters), :mod:`.execute` (:func:`render_report`),
:mod:`.html` (the export), :mod:`.kernels` (the fast kernel path), :mod:`.provenance`. This
package imports no analysis or presentation module: the notebooks do.
"""
