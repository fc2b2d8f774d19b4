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

  // Timeline: drag across it to zoom (the plots' viewBox narrows to the
  // chosen buckets), hover for the bucket's numbers, double-click or reset
  // to see it all.
  var tl = document.getElementById("timeline-chart");
  if (tl) timeline(tl, timelineRows(tl));

  // timelineRows reads the timeline's numbers: the embedded report's
  // timeline, or the page's own rows when it has none (minute groups).
  function timelineRows(svg) {
    var own = document.getElementById("timeline-data");
    if (own) return JSON.parse(own.textContent);
    var rep = JSON.parse(document.getElementById("herolog-report").textContent);
    return {
      start: +svg.getAttribute("data-start"),
      step: +svg.getAttribute("data-step"),
      rows: rep.timeline.buckets.map(function (b) {
        return [b.rps, b.mean_ms, b.p99_ms, b.max_ms, b.errors, b.requests];
      })
    };
  }

  function timeline(svg, data) {
    var SVGNS = "http://www.w3.org/2000/svg";
    var n = data.rows.length;
    var plots = svg.querySelectorAll("svg.tl-plot");
    var overlay = svg.querySelector(".tl-overlay");
    var brush = svg.querySelector(".tl-brush");
    var hover = svg.querySelector(".tl-hover");
    var ticks = svg.querySelector(".tl-xticks");
    var tip = document.querySelector("#timeline-fig .tl-tip");
    var range = document.getElementById("tl-range");
    var left = overlay.x.baseVal.value, width = overlay.width.baseVal.value;
    var tickY = ticks.firstElementChild ? ticks.firstElementChild.getAttribute("y") : svg.viewBox.baseVal.height;
    var view = [0, n];
    var steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

    function pad(v) { return (v < 10 ? "0" : "") + v; }
    function fmt(t, withDay) {
      var d = new Date(t * 1000);
      var hm = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
      if (!withDay) return hm;
      return d.toLocaleString("en", { month: "short", day: "numeric", timeZone: "UTC" }) + " " + hm;
    }
    // svgX maps a client x to the SVG's user units.
    function svgX(clientX) {
      var box = svg.getBoundingClientRect();
      return (clientX - box.left) * svg.viewBox.baseVal.width / box.width;
    }
    function bucketAt(x) { return view[0] + (x - left) / width * (view[1] - view[0]); }
    function xOf(b) { return left + (b - view[0]) / (view[1] - view[0]) * width; }

    function drawTicks() {
      var t0 = data.start + view[0] * data.step, t1 = data.start + view[1] * data.step, span = t1 - t0;
      var st = steps[steps.length - 1];
      for (var i = 0; i < steps.length; i++) { if (span / steps[i] <= 8) { st = steps[i]; break; } }
      if (span / st > 8) { st = Math.ceil(span / 8 / 86400) * 86400; } // days apart: still at most eight ticks
      while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
      for (var t = Math.ceil(t0 / st) * st; t <= t1; t += st) {
        var el = document.createElementNS(SVGNS, "text");
        el.setAttribute("x", (left + width * (t - t0) / span).toFixed(1));
        el.setAttribute("y", tickY);
        el.setAttribute("dy", "-14");
        el.setAttribute("text-anchor", "middle");
        el.textContent = fmt(t, st >= 86400 || span > 86400);
        ticks.appendChild(el);
      }
      range.textContent = view[0] === 0 && view[1] === n ? "" :
        fmt(t0, span > 86400) + " → " + fmt(t1, span > 86400) + " UTC";
    }
    function setView(a, b) {
      a = Math.max(0, Math.floor(a)); b = Math.min(n, Math.ceil(b));
      if (b - a < 3) { var mid = (a + b) / 2; a = Math.max(0, Math.floor(mid - 1.5)); b = Math.min(n, a + 3); }
      view = [a, b];
      plots.forEach(function (p) {
        var vb = p.viewBox.baseVal;
        vb.x = a; vb.width = b - a;
      });
      drawTicks();
      svg.setAttribute("data-view", a + "-" + b);
      try { // the address keeps the zoom, for a link to it
        history.replaceState(null, "", a === 0 && b === n ? location.pathname + location.search : "#zoom=" + a + "-" + b);
      } catch (e) { /* some file:// pages refuse; the zoom still works */ }
    }

    var start = null;
    overlay.addEventListener("pointerdown", function (e) {
      start = svgX(e.clientX);
      overlay.setPointerCapture(e.pointerId);
    });
    overlay.addEventListener("pointermove", function (e) {
      var x = Math.min(Math.max(svgX(e.clientX), left), left + width);
      if (start !== null) {
        brush.setAttribute("x", Math.min(start, x));
        brush.setAttribute("width", Math.abs(x - start));
        brush.setAttribute("visibility", "visible");
      }
      var b = Math.floor(bucketAt(x));
      if (b < 0 || b >= n) return;
      var r = data.rows[b];
      var cx = xOf(b + 0.5);
      hover.setAttribute("x1", cx); hover.setAttribute("x2", cx);
      hover.setAttribute("visibility", "visible");
      tip.textContent = fmt(data.start + b * data.step, true) + " UTC\n" +
        "requests  " + r[5] + " (" + r[0] + "/s)\n" +
        "mean      " + r[1] + " ms\n" +
        "p99       " + r[2] + " ms\n" +
        "max       " + r[3] + " ms\n" +
        "errors    " + r[4];
      tip.hidden = false;
      var frac = (cx - svg.viewBox.baseVal.x) / svg.viewBox.baseVal.width;
      var fig = svg.getBoundingClientRect();
      var px = frac * fig.width;
      tip.style.left = (px > fig.width / 2 ? px - tip.offsetWidth - 12 : px + 12) + "px";
    });
    function end(e) {
      if (start === null) return;
      var x = Math.min(Math.max(svgX(e.clientX), left), left + width);
      brush.setAttribute("visibility", "hidden");
      if (Math.abs(x - start) > 6) setView(bucketAt(Math.min(start, x)), bucketAt(Math.max(start, x)));
      start = null;
    }
    overlay.addEventListener("pointerup", end);
    overlay.addEventListener("pointercancel", function () { start = null; brush.setAttribute("visibility", "hidden"); });
    overlay.addEventListener("pointerleave", function () {
      if (start === null) { hover.setAttribute("visibility", "hidden"); tip.hidden = true; }
    });
    overlay.addEventListener("dblclick", function () { setView(0, n); });
    document.getElementById("tl-reset").addEventListener("click", function () { setView(0, n); });
    var m = /^#zoom=(\d+)-(\d+)$/.exec(location.hash);
    if (m && +m[1] < +m[2]) setView(+m[1], +m[2]); else drawTicks();
  }

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
