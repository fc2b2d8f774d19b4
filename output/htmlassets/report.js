// herolog report: table sorting, the spectrum's scale switch and legend
// highlight, the timeline's zoom. The charts are SVG drawn by herolog, so
// the page reads fine without this script.
(function () {
  "use strict";

  // Sortable tables: click a header; numbers sort by data-v, text naturally.
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function cellValue(row, i) {
    var c = row.children[i];
    return c ? (c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent) : "";
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var text = th.getAttribute("data-type") === "text";
        // Numbers sort largest first on the first click, text A to Z.
        var dir = th.getAttribute("aria-sort") === (text ? "ascending" : "descending") ? -1 : 1;
        if (!text) dir = -dir;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i);
          var r = text ? collator.compare(x, y) : (parseFloat(x) - parseFloat(y));
          if (r === 0 || isNaN(r)) r = collator.compare(cellValue(a, 0), cellValue(b, 0));
          return dir * r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });

  // Spectrum: log or linear y axis; hovering or tapping a legend entry
  // brings its line forward.
  var fig = document.querySelector("figure.spectrum");
  if (fig) {
    document.querySelectorAll("#spectrum [data-scale]").forEach(function (b) {
      b.addEventListener("click", function () {
        fig.classList.remove("scale-log", "scale-linear");
        fig.classList.add("scale-" + b.getAttribute("data-scale"));
        document.querySelectorAll("#spectrum [data-scale]").forEach(function (o) {
          o.setAttribute("aria-pressed", o === b ? "true" : "false");
        });
      });
    });
    var pinned = null;
    function highlight(n) {
      fig.classList.toggle("dimmed", n !== null);
      fig.querySelectorAll(".series").forEach(function (g) {
        g.classList.toggle("hi", g.getAttribute("data-series") === n);
      });
      document.querySelectorAll("#spectrum .legend li").forEach(function (li) {
        li.classList.toggle("hi", li.getAttribute("data-series") === n);
      });
    }
    document.querySelectorAll("#spectrum .legend li").forEach(function (li) {
      var n = li.getAttribute("data-series");
      li.addEventListener("mouseenter", function () { highlight(n); });
      li.addEventListener("mouseleave", function () { highlight(pinned); });
      li.addEventListener("click", function (e) {
        if (e.target.tagName === "A") return;
        pinned = pinned === n ? null : n;
        highlight(pinned);
      });
    });
  }

  // The timeline, when the report has one, zooms by dragging across it.
  if (window.heroTimeline) window.heroTimeline();

  // Tell whoever opened the page (the browser test) that the charts are here.
  var ok = true;
  document.querySelectorAll("svg.chart-svg, #spectrum-chart").forEach(function (svg) {
    var drawn = Array.prototype.some.call(svg.querySelectorAll("path"), function (p) {
      var box = p.getBBox();
      return (p.getAttribute("d") || "").length > 2 && (box.width > 0 || box.height > 0);
    });
    if (!drawn) ok = false;
  });
  if (!document.documentElement.hasAttribute("data-script-error")) {
    document.body.setAttribute("data-rendered", ok ? "ok" : "empty-chart");
  }
})();
