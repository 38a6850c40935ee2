/* The console's behaviour: charts (Chart.js) and maps (Leaflet, no tiles) drawn from the JSON
   data blocks the server renders, confirmations, and the same again for content htmx swaps in.
   Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  var COLOURS = ["#0b5cad", "#b8430b", "#2a7d2e", "#6b3fa0", "#8a6d00", "#a4161a"];
  var POINTS = { "true": "circle", "false": "triangle", "null": "rect" };

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function day(ms) {
    return new Date(ms).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function drawChart(canvas) {
    if (!window.Chart || window.Chart.getChart(canvas)) return;
    var box = canvas.closest(".charts");
    var spec = JSON.parse(box.dataset.charts)[Number(canvas.dataset.index)];
    if (!spec) return;
    var days = Number(box.dataset.days || 30);
    var now = Date.now();
    var hasRight = spec.datasets.some(function (d) { return d.axis === "y2"; });
    var datasets = spec.datasets.map(function (d, i) {
      return {
        label: d.label,
        data: d.data,
        yAxisID: d.axis === "y2" ? "y2" : "y",
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length],
        showLine: !spec.points_only,
        pointStyle: "meal" in d ? POINTS[String(d.meal)] : "circle",
        pointRadius: spec.points_only ? 4 : 2,
        borderWidth: 1.5,
        tension: 0
      };
    });
    var scales = {
      x: { type: "linear", min: now - days * 86400000, max: now, ticks: { callback: day, maxTicksLimit: 8 } },
      y: { title: { display: true, text: spec.unit } }
    };
    if (hasRight) {
      scales.y2 = { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: spec.unit2 } };
    }
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: scales,
        plugins: {
          tooltip: { callbacks: { title: function (items) { return items.length ? new Date(items[0].parsed.x).toLocaleString() : ""; } } }
        }
      }
    });
  }

  function drawMap(el) {
    if (!window.L || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var spec = data(el.dataset.map) || {};
    // No tile layer: no tile server is reachable here or on many clinics' networks. Positions
    // and polygons are drawn on a plain background, with a scale for distance.
    var map = window.L.map(el, { attributionControl: false, zoomSnap: 0.25, keyboard: true });
    window.L.control.scale().addTo(map);
    var layers = [];
    (spec.geogroups || []).forEach(function (g) {
      layers.push(window.L.geoJSON(g.boundary, { style: { color: "#6b3fa0", weight: 2, fillOpacity: 0.12 } }).bindTooltip(g.name));
    });
    if (spec.path && spec.path.length > 1) {
      layers.push(window.L.polyline(spec.path.map(function (p) { return [p.lat, p.lon]; }), { color: "#b8430b", weight: 2 }));
    }
    (spec.trackers || []).forEach(function (t) {
      var marker = window.L.circleMarker([t.lat, t.lon], { radius: 7, color: "#0b5cad", fillOpacity: 0.8 }).bindTooltip(t.name);
      marker.on("click", function () { window.location.href = t.url; });
      layers.push(marker);
    });
    var group = window.L.featureGroup(layers).addTo(map);
    if (layers.length) {
      map.fitBounds(group.getBounds().pad(0.2), { maxZoom: 15 });
    } else {
      map.setView([0, 0], 1);
    }
    el.leafletMap = map;
  }

  function init(root) {
    root = root || document;
    root.querySelectorAll(".charts canvas[data-index]").forEach(drawChart);
    root.querySelectorAll("[data-map]").forEach(drawMap);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !form.hasAttribute("hx-post") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  function start() {
    init(document);
    if (window.htmx) {
      window.htmx.onLoad(function (el) { init(el); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
