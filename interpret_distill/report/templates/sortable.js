// The report's only script (inline, no network). Sortable tables: click a header (or Enter on it) to sort a
// table.sortable by that column; data-sort holds the raw key, numbers sort numerically, empty cells go last.
// Figures: click one to toggle between fitting the page and its full size (scroll sideways when wider).
// Printing opens every collapsed <details> so the paper copy is complete.
(function () {
  function key(value) {
    if (value === undefined || value === null || value === "") return null;
    var n = Number(value);
    return isNaN(n) ? String(value) : n;
  }
  function compare(x, y) {
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "number") return -1;
    if (typeof y === "number") return 1;
    return x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      th.tabIndex = 0;
      th.title = "Sort by " + th.textContent;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
          return {row: row, i: i, key: key(row.cells[column] && row.cells[column].dataset.sort)};
        });
        rows.sort(function (a, b) {
          if (a.key === null || b.key === null) {  // missing values last in either direction
            return a.key === b.key ? a.i - b.i : (a.key === null ? 1 : -1);
          }
          var order = compare(a.key, b.key);
          return (ascending ? order : -order) || a.i - b.i;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
  function markZoomable(img) {  // only figures shrunk to fit the page have a larger size to show
    var figure = img.closest("figure");
    if (figure.classList.contains("full")) return;
    var shrunk = img.naturalWidth > img.clientWidth + 10;
    img.classList.toggle("zoomable", shrunk);
    img.title = shrunk ? "Click to toggle full size" : "";
  }
  document.querySelectorAll("figure img").forEach(function (img) {
    if (img.complete) markZoomable(img); else img.addEventListener("load", function () { markZoomable(img); });
    img.addEventListener("click", function () {
      if (img.classList.contains("zoomable")) img.closest("figure").classList.toggle("full");
    });
  });
  window.addEventListener("resize", function () { document.querySelectorAll("figure img").forEach(markZoomable); });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
