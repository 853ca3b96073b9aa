// A table that renders only the rows in view, so 10,000 rows scroll and update as fast as
// 30. Rows have one fixed height; row elements are recycled; a cell is rewritten only when
// its row object changed (the stream replaces a row object on every change).

/**
 * columns: [{ key, label, width (CSS grid track), align: "r", render(cell, row), sortable }]
 * opts: { rowKey(row), onOpen(row), rowClass(row), rowHeight, emptyText, sort: {key, dir} }
 */
export class VirtualTable {
  constructor(columns, opts) {
    this.columns = columns;
    this.opts = opts;
    this.rowHeight = opts.rowHeight ?? 34;
    this.rows = [];
    this.sort = opts.sort ?? { key: columns[0].key, dir: 1 };
    this.pool = [];
    this.el = document.createElement("div");
    this.el.className = "vt card";
    this.scroll = document.createElement("div");
    this.scroll.className = "vt-scroll";
    this.inner = document.createElement("div");
    this.inner.className = "vt-inner";
    this.head = document.createElement("div");
    this.head.className = "vt-head";
    this.head.setAttribute("role", "row");
    this.canvas = document.createElement("div");
    this.canvas.className = "vt-canvas";
    this.canvas.setAttribute("role", "rowgroup");
    this.emptyEl = document.createElement("div");
    this.emptyEl.className = "vt-empty";
    const tracks = columns.map((c) => c.width ?? "1fr").join(" ");
    this.head.style.gridTemplateColumns = tracks;
    this.tracks = tracks;
    this.inner.style.minWidth = `${opts.minWidth ?? 0}px`;
    for (const c of columns) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = c.label;
      b.dataset.key = c.key;
      if (c.align === "r") b.className = "r";
      if (c.title) b.title = c.title;
      b.addEventListener("click", () => this.setSort(c.key));
      this.head.append(b);
    }
    this.inner.append(this.head, this.canvas);
    this.scroll.append(this.inner);
    this.el.append(this.scroll, this.emptyEl);
    this.el.setAttribute("role", "table");
    this.scroll.addEventListener("scroll", () => this.paint(), { passive: true });
    this.resizer = new ResizeObserver(() => this.paint());
    this.resizer.observe(this.scroll);
    this.canvas.addEventListener("click", (e) => {
      const row = e.target.closest(".vt-row");
      if (row?.rowData) this.opts.onOpen?.(row.rowData, e);
    });
    this.markSort();
  }

  destroy() {
    this.resizer.disconnect();
  }

  setSort(key) {
    this.sort =
      this.sort.key === key
        ? { key, dir: -this.sort.dir }
        : { key, dir: this.columns.find((c) => c.key === key)?.desc ? -1 : 1 };
    this.markSort();
    this.opts.onSort?.(this.sort);
  }

  markSort() {
    for (const b of this.head.children) {
      if (b.dataset.key === this.sort.key)
        b.setAttribute("aria-sort", this.sort.dir > 0 ? "ascending" : "descending");
      else b.removeAttribute("aria-sort");
    }
  }

  /** Shows `rows` (already filtered and sorted). */
  setRows(rows, emptyText) {
    this.rows = rows;
    this.canvas.style.height = `${rows.length * this.rowHeight}px`;
    this.emptyEl.hidden = rows.length > 0;
    if (!rows.length) this.emptyEl.replaceChildren(emptyText ?? "Nothing to show");
    this.paint();
  }

  /** Re-reads the visible rows through `latest(row)` (the newest object for a row). */
  refresh(latest) {
    for (const el of this.pool) {
      if (el.hidden || !el.rowData) continue;
      const now = latest(el.rowData);
      if (now && now !== el.rowData) {
        this.rows[el.rowIndex] = now;
        this.fill(el, now);
      }
    }
  }

  paint() {
    const h = this.scroll.clientHeight || 600;
    const headH = this.head.offsetHeight;
    const top = Math.max(0, this.scroll.scrollTop - headH);
    const first = Math.max(0, Math.floor(top / this.rowHeight) - 5);
    const last = Math.min(this.rows.length, Math.ceil((top + h) / this.rowHeight) + 5);
    const need = last - first;
    while (this.pool.length < need) {
      const el = document.createElement("div");
      el.className = "vt-row";
      el.setAttribute("role", "row");
      el.style.gridTemplateColumns = this.tracks;
      el.cells = this.columns.map((c) => {
        const cell = document.createElement("div");
        cell.setAttribute("role", "cell");
        if (c.align === "r") cell.className = "r";
        el.append(cell);
        return cell;
      });
      this.canvas.append(el);
      this.pool.push(el);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i];
      const idx = first + i;
      if (i >= need) {
        if (!el.hidden) {
          el.hidden = true;
          el.rowData = null;
        }
        continue;
      }
      el.hidden = false;
      el.rowIndex = idx;
      el.style.transform = `translateY(${idx * this.rowHeight}px)`;
      const row = this.rows[idx];
      if (el.rowData !== row) this.fill(el, row);
    }
  }

  fill(el, row) {
    el.rowData = row;
    el.dataset.id = this.opts.rowKey(row);
    const cls = this.opts.rowClass?.(row);
    el.className = cls ? `vt-row ${cls}` : "vt-row";
    for (let i = 0; i < this.columns.length; i++) this.columns[i].render(el.cells[i], row);
  }
}
