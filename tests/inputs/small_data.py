"""A small valid data set on real Tongling village codes, shared by the inputs tests."""

from __future__ import annotations

#: 农林村委会 and 柴塘村委会 in 西湖镇, 铜官区 (NBS 2023 division codes).
NONGLIN, CHAITANG = "340705100200", "340705100201"
VILLAGES = f"village_code,village_type,households\n{NONGLIN},省级中心村,100\n{CHAITANG},一般村,50\n"
OBS_HEAD = "village_code,year,indicator_id,value\n"
