# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
county_code: str = "340722"  # six-digit county code in the data (default 340722 枞阳县, the demo county)
year: int = 2023  # report year (the latest year with observations is usual)
data_dir: str = ""  # data folder or workbook; empty for the bundled demo data, resolved by hemei_tools

# %% [markdown]
# # hemei-tools 数据探索
#
# 从这里开始：改上面的参数后“全部运行”，或照着下面的单元格调用 `hemei_tools` 的函数。
# 每个单元格只做一件事；要看某一步的中间结果，打开对应对象的属性即可（如 `a.result.scores`）。

# %%
from hemei_tools import analyse_region, gap_frame, load_report_context
from hemei_tools.present import sections as sec
from hemei_tools.present.explorer import Explorer
from hemei_tools.present.notebook import show_headline
from hemei_tools.present.style import set_theme

set_theme()
ctx = load_report_context(data_dir, county_code, year)
show_headline(ctx)

# %% [markdown]
# ## 交互探索
#
# 选择县区、年份和指标（按维度和任务分组），页面立即重画；“计算中…”表示正在更新。
# 在“查找村庄”中输入村名、乡镇名或村代码，可查看各村的和美指数和所选指标；
# 两个链接下载当前所见的指标表和村庄表（CSV）。

# %%
Explorer(data_dir, county_code, year)

# %%
ctx.dataset.villages.head()

# %% [markdown]
# ## 一次分析：汇总、指数、差距、趋势、不平衡

# %%
a = analyse_region(ctx, n_runs=100)
sec.section_index(a)

# %% [markdown]
# ## 一个指标的趋势与基准（换一个 `indicator_id` 试试）

# %%
sec.section_trend(a, a.ctx.catalogue.scored_ids[0])

# %% [markdown]
# ## 指标差距表（红黄绿灯与趋势）

# %%
gap_frame(a).head(10)
