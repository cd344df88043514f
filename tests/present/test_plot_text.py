"""Chart text from the data is drawn as written (issue 12): a name with ``$`` is not mathtext.

Before, ``$x^2$`` in a village name was typeset as math and ``$$y$$`` (or ``$\\frac{$``) made
the figure fail to draw, which failed the whole report.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from hemei_tools.present.plots import plot_lorenz

NAMES = ["$x^2$ and $$y$$村", r"\(x\) $\frac{$", "${7*7}"]


@pytest.fixture(autouse=True)
def _rc():
    with matplotlib.rc_context():
        yield
    plt.close("all")


@pytest.mark.parametrize("name", NAMES)
def test_a_dollar_in_a_name_is_text_in_a_new_chart(name):
    ax = plot_lorenz(np.array([1.0, 2.0, 3.0, 10.0]), label=name)
    ax.figure.canvas.draw()  # raised ValueError (mathtext) before
    texts = [t for t in ax.get_legend().get_texts() if name in t.get_text()]
    assert texts and all(t._preprocess_math(t.get_text()) == (t.get_text(), False) for t in texts)


def test_texts_of_a_figure_made_elsewhere_are_text_too():
    matplotlib.rcParams["text.parse_math"] = True  # a figure made before any hemei chart
    fig, axes = plt.subplots(1, 2)
    axes[0].set_title(NAMES[1])
    plot_lorenz(np.array([1.0, 2.0, 5.0]), label=NAMES[0], ax=axes[1])
    fig.suptitle(NAMES[0])
    fig.canvas.draw()
    for t in (axes[0].title, fig._suptitle):
        assert t._preprocess_math(t.get_text()) == (t.get_text(), False)
