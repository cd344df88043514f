"""A data set whose names carry injection payloads: the demo data with township, village,
county and project names rewritten (synthetic data may use invented divisions, so the new
villages get codes of an invented township; real codes keep their official village names)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

#: The payload corpus: script, event handlers, ``javascript:`` links (HTML and Markdown),
#: an unclosed ``<iframe srcdoc=``, ``</table>`` breaking out of a table, template and math
#: delimiters, a 3,000-character name and right-to-left script.
PAYLOADS = (
    '<script>alert("S1")</script>',
    '<img src=x onerror=alert("S2")>',
    '<svg onload=alert("S3")>',
    '<a href="javascript:alert(\'S4\')">x</a>',
    '**粗体** [点我](javascript:alert("S5"))',
    '<iframe srcdoc="<script>alert(\'S6\')</script>">',
    '</table></div><h1>BROKEN</h1>',
    '{{7*7}}',
    '${7*7} {% raw %}',
    '$x^2$ and $$y$$',
    r'\(x\) $\frac{$',
    '"><script>alert("S7")</script>',
    "'; alert('S8'); //",
    '&lt;b&gt;',
    '`<script>alert("S9")</script>`',
    '<a href="javascript:alert(\'S10\')">x</a>',
    '=HYPERLINK("http://evil.example","x")',
    'قرية النخيل',
    'כפר שלום',
    '长' * 3000,
)
#: What every dialog the payloads could open says: ``S1``…, ``COUNTY``, ``TOWN``.
COUNTY = "340722"
HOSTILE_COUNTY = "340711"
HOSTILE_COUNTY_NAME = '<img src=x onerror=alert("COUNTY")>郊区'
NEW_TOWNSHIP = "340722999"
NEW_TOWNSHIP_NAME = '<script>alert("TOWN")</script>镇'


def new_codes() -> list[str]:
    """Codes of the invented villages, one per payload."""
    return [f"{NEW_TOWNSHIP}{i:03d}" for i in range(len(PAYLOADS))]


def make_hostile(base: Path, out: Path) -> Path:
    """Copy the demo data set ``base`` to ``out`` with hostile names; returns ``out``."""
    shutil.copytree(base, out)
    read = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    v = pd.read_csv(out / "villages.csv", **read)
    # every township of the report's county and of 340705 gets a payload in front of its name
    for county in (COUNTY, "340705"):
        towns = sorted(v.loc[v["county_code"] == county, "township_code"].unique())
        for i, town in enumerate(towns):
            hit = v["township_code"] == town
            v.loc[hit, "township_name"] = PAYLOADS[i % len(PAYLOADS)] + v.loc[hit, "township_name"]
    v.loc[v["county_code"] == HOSTILE_COUNTY, "county_name"] = HOSTILE_COUNTY_NAME
    # one invented village per payload, copying a village of the county (values and type)
    model = v[v["county_code"] == COUNTY].iloc[0]
    rows = []
    for code, payload in zip(new_codes(), PAYLOADS, strict=True):
        r = model.copy()
        r["village_code"], r["village_name"] = code, payload + "村"
        r["township_code"], r["township_name"] = NEW_TOWNSHIP, NEW_TOWNSHIP_NAME
        r["village_type"] = "省级中心村"
        rows.append(r)
    pd.concat([v, pd.DataFrame(rows)], ignore_index=True).to_csv(out / "villages.csv", index=False)
    obs = pd.read_csv(out / "observations.csv", **read)
    same = obs[obs["village_code"] == model["village_code"]]
    extra = [same.assign(village_code=code) for code in new_codes()]
    pd.concat([obs, *extra], ignore_index=True).to_csv(out / "observations.csv", index=False)
    pr = pd.read_csv(out / "projects.csv", **read)
    mine = pr.index[pr["village_code"].str.startswith(COUNTY)][: len(PAYLOADS)]
    for i, k in enumerate(mine):
        pr.at[k, "project_name"] = PAYLOADS[i] + pr.at[k, "project_name"]
    pr.to_csv(out / "projects.csv", index=False)
    ap = pd.read_csv(out / "applicants.csv", **read)
    first = ap.iloc[0]
    extra = pd.DataFrame([first.copy() for _ in new_codes()])
    extra["village_code"] = new_codes()
    extra["selected"] = "0"
    pd.concat([ap, extra], ignore_index=True).to_csv(out / "applicants.csv", index=False)
    return out
