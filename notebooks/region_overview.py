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
region_code: str = ""  # six-digit code of a city (340700) or province (340000); empty for the whole data set
year: int = 2023  # report year (the latest year with observations is usual)
data_dir: str = ""  # data folder or workbook; empty for the bundled demo data, resolved by hemei_tools

# %%
from hemei_tools import analyse_region, load_region_context
from hemei_tools.present import sections as sec
from hemei_tools.present.notebook import show_title
from hemei_tools.present.style import set_theme

set_theme()
ctx = load_region_context(data_dir, region_code, year)
a = analyse_region(ctx, n_runs=0)

# %%
show_title(ctx)

# %% [markdown]
# ## 结论摘要

# %% tags=["summary"]
sec.section_summary(a)

# %% [markdown]
# ## 主要数据

# %%
sec.section_headline(a)

# %%
sec.section_children(a)

# %%
sec.section_league(a)

# %% [markdown]
# ## 和美指数与浙江对标指数

# %%
sec.section_index(a)

# %% [markdown]
# ## 与浙江相差几年

# %%
sec.section_catchup(a)

# %% [markdown]
# ## 公开数据对比

# %%
sec.section_published_facts(a)

# %%
sec.section_children_imbalance(a)

# %% [markdown]
# ## 规划目标进度

# %%
sec.section_plan_progress(a)

# %% [markdown]
# ## 项目台账

# %%
sec.section_ledger(a)

# %% [markdown]
# ## 方法与来源

# %%
sec.section_appendix(a)
