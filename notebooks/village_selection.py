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
year: int = 2023  # application round (year of the applicant list)
data_dir: str = ""  # data folder or workbook; empty for the bundled demo data, resolved by hemei_tools
n_runs: int = 1000  # Monte Carlo draws over criterion weights and normalisation (seeded)

# %%
from hemei_tools import analyse_selection, load_report_context
from hemei_tools.present import sections as sec
from hemei_tools.present.notebook import publish_summary, show_selection_title
from hemei_tools.present.style import set_theme

set_theme()
ctx = load_report_context(data_dir, "", year)
sel = analyse_selection(ctx, year=year, n_runs=n_runs)
publish_summary(ctx)

# %%
show_selection_title(ctx)

# %% [markdown]
# 依据“经济强、产业兴、基础好、积极性高、党建引领好”五项准则（准则、权重与资格条件见指标目录中的
# `selection_criteria.csv` 与 `selection_rules.csv`），对申报村进行资格审查、评分、按县区名额遴选，
# 并用蒙特卡洛方法检验推荐名单对权重的稳健性。

# %% [markdown]
# ## 申报资格审查

# %%
sec.section_selection_eligibility(sel)

# %% [markdown]
# ## 评分与排名

# %%
sec.section_selection_scores(sel)

# %% [markdown]
# ## 推荐名单与稳健性

# %%
sec.section_selection_shortlist(sel)

# %% [markdown]
# ## 准则得分构成

# %%
sec.section_selection_profile(sel)

# %% [markdown]
# ## 权重敏感性

# %%
sec.section_selection_flips(sel)

# %%
sec.section_selection_decision(sel)
