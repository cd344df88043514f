"use strict";
// Sort and filter of the batch index (admitted by its hash only; reads no data but the rows' data-* attributes).
(() => {
  const table = document.getElementById("report-table"), bar = document.getElementById("controls");
  if (!table || !bar) return;
  const groups = Array.from(table.tBodies), rows = Array.from(table.querySelectorAll("tr[data-order]"));
  const flat = document.createElement("tbody");
  flat.className = "flat";
  flat.hidden = true;
  table.append(flat);
  const text = document.getElementById("filter-text"), level = document.getElementById("filter-level");
  const red = document.getElementById("filter-red"), across = document.getElementById("sort-across");
  const shown = document.getElementById("shown");
  let key = "", dir = 1;
  const order = (a, b) => Number(a.dataset.order) - Number(b.dataset.order);
  const compare = (a, b) => {
    const x = a.dataset[key] || "", y = b.dataset[key] || "";
    if (x === "" || y === "") return (x === "") - (y === "") || order(a, b);  // missing ("—") last, both ways
    const nx = Number(x), ny = Number(y);
    const c = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y, "zh-CN") : nx - ny;
    return dir * c || order(a, b);
  };
  function filter() {
    const q = text.value.trim().toLowerCase(), lv = level.value;
    let n = 0;
    for (const r of rows) {
      r.hidden = !((r.dataset.search || "").toLowerCase().includes(q) && (!lv || r.dataset.level === lv)
                   && (!red.checked || Number(r.dataset.red) > 0));
      n += r.hidden ? 0 : 1;
    }
    for (const g of groups) g.hidden = across.checked || !rows.some(r => !r.hidden && r.parentNode === g);
    flat.hidden = !across.checked;
    shown.textContent = shown.dataset.text.replace("{shown}", n).replace("{total}", rows.length);
  }
  // inside a group its overview row (province or city, data-lvl < 2) stays first
  const pinned = r => !across.checked && Number(r.dataset.lvl) < 2 ? 0 : 1;
  function arrange() {
    for (const body of across.checked ? [flat] : groups) {
      const mine = rows.filter(r => across.checked || r.dataset.group === body.dataset.group);
      body.append(...mine.sort((a, b) => pinned(a) - pinned(b) || (key ? compare(a, b) : order(a, b))));
    }
    filter();
  }
  for (const th of table.tHead.querySelectorAll("th[data-sort]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of table.tHead.querySelectorAll("th[aria-sort]")) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      key = th.dataset.sort;
      dir = ascending ? 1 : -1;
      arrange();
    });
  }
  text.addEventListener("input", filter);
  for (const el of [level, red]) el.addEventListener("change", filter);
  across.addEventListener("change", arrange);
  bar.hidden = false;
  filter();
})();
