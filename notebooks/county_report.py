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

# %%
from hemei_tools import analyse_region, load_report_context
from hemei_tools.present import sections as sec
from hemei_tools.present.notebook import show_title
from hemei_tools.present.style import set_theme

set_theme()
ctx = load_report_context(data_dir, county_code, year)
a = analyse_region(ctx)

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

# %% [markdown]
# ## 规划目标进度

# %%
sec.section_plan_progress(a)

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

# %% [markdown]
# ## 指标差距与趋势

# %%
sec.section_gap_table(a)

# %% [markdown]
# ## 短板指标与任务

# %%
sec.section_weakest_links(a)

# %% [markdown]
# ## 村庄排名（含不确定性）

# %%
sec.section_village_ranks(a)

# %% [markdown]
# ## 县域内发展不平衡

# %%
sec.section_imbalance(a)

# %% [markdown]
# ## 乡镇与后进村

# %%
sec.section_townships(a)

# %% [markdown]
# ## 项目台账

# %%
sec.section_ledger(a)

# %% [markdown]
# ## 数据质量与覆盖

# %%
sec.section_data_quality(a)

# %% [markdown]
# ## 方法与来源

# %%
sec.section_appendix(a)
