// Bluezone dashboard: in-place table sorting and the charts and map.
// Everything here is an enhancement: the pages are complete without it
// (tables sort through their ?sort= links, every figure is in a table).
// Charts and the map are drawn by Apache ECharts (vendor/echarts.min.js).
(function () {
  "use strict";

  var lang = document.documentElement.lang || "vi";

  // ---- Sortable tables ----------------------------------------------------
  function setupSort(table) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body) return;
    Array.prototype.forEach.call(body.rows, function (tr, i) { tr.dataset.i = i; });
    Array.prototype.forEach.call(head.cells, function (th, col) {
      var a = th.querySelector("a");
      if (!a) return;
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var url = new URL(a.href);
        var desc = url.searchParams.get("dir") === "desc";
        sortBody(body, col, th.dataset.type === "num", desc);
        Array.prototype.forEach.call(head.cells, function (h) {
          if (h === th) return;
          h.setAttribute("aria-sort", "none");
          var ha = h.querySelector("a");
          if (ha) { var u = new URL(ha.href); u.searchParams.set("dir", h.dataset.first || "asc"); ha.href = u.href; }
        });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var next = new URL(url.href);
        next.searchParams.set("dir", desc ? "asc" : "desc");
        a.href = next.href;
        history.replaceState(null, "", url.pathname + url.search + url.hash);
      });
    });
  }

  function sortBody(body, col, numeric, desc) {
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator(lang, { sensitivity: "base" });
    rows.sort(function (a, b) {
      var va = a.cells[col].dataset.v, vb = b.cells[col].dataset.v, c;
      if (numeric) c = parseFloat(va) - parseFloat(vb);
      else c = collator.compare(va, vb);
      if (desc) c = -c;
      return c || (a.dataset.i - b.dataset.i);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setupSort);

  // ---- Charts ---------------------------------------------------------------
  var dataEl = document.getElementById("chart-data");
  if (!dataEl || !window.echarts) return;
  var data = JSON.parse(dataEl.textContent);
  var L = data.labels;
  var charts = [];
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  function chartIn(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var c = echarts.init(el, null, { renderer: "svg" });
    charts.push(c);
    return c;
  }
  function ready(id) { var el = document.getElementById(id); if (el) el.dataset.ready = "1"; }
  function fmt(n) { return Math.round(n).toLocaleString("en-US"); }

  // Hoàng Sa and Trường Sa, missing from the boundary file: a few small
  // squares around their main islands so they are drawn and framed with the
  // mainland, plus labelled marks at 16.5°N 112.0°E and 10.0°N 114.0°E.
  function islets(points) {
    var d = 0.07;
    return points.map(function (p) {
      return [[[p[0] - d, p[1] - d], [p[0] + d, p[1] - d], [p[0] + d, p[1] + d], [p[0] - d, p[1] + d], [p[0] - d, p[1] - d]]];
    });
  }
  var archipelagos = [
    { code: "HS", label: L.hoangSa, at: [112.0, 16.5], labelAt: "right",
      islets: [[111.6, 16.53], [112.34, 16.83], [111.75, 16.05], [112.55, 16.55], [112.2, 16.95], [111.2, 15.78]] },
    { code: "TS", label: L.truongSa, at: [114.0, 10.0], labelAt: "bottom",
      islets: [[111.92, 8.64], [114.37, 10.38], [114.33, 11.43], [114.28, 11.05], [114.32, 9.88], [112.9, 7.89], [113.3, 8.85], [115.5, 9.9], [116.0, 10.7]] }
  ];

  function drawMap() {
    var chart = chartIn("map");
    if (!chart || !data.geo || !data.provinces) return;
    fetch(data.geo).then(function (r) { return r.json(); }).then(function (geo) {
      archipelagos.forEach(function (a) {
        geo.features.push({ type: "Feature", properties: { code: a.code, name: a.label },
          geometry: { type: "MultiPolygon", coordinates: islets(a.islets) } });
      });
      echarts.registerMap("vn", geo);
      var byCode = {};
      data.provinces.forEach(function (p) { byCode[p.code] = p; });
      var max = Math.max.apply(null, data.provinces.map(function (p) { return p.rate; }).concat([1]));
      chart.setOption({
        animation: false,
        tooltip: {
          trigger: "item",
          formatter: function (it) {
            var p = byCode[it.name];
            if (!p) return it.seriesType === "scatter" ? it.name : (it.data && it.data.title) || "";
            return p.name + "<br>" + L.rate + ": " + p.rateText + "<br>" + L.installs + ": " + p.installs + "<br>" + L.rank + ": " + p.rank;
          }
        },
        visualMap: {
          type: "continuous", min: 0, max: Math.ceil(max), seriesIndex: 0, calculable: false,
          text: [L.high + " " + Math.ceil(max) + "%", L.low + " 0%"], left: 8, bottom: 8, itemHeight: 100,
          inRange: { color: ["#e0f3f8", "#74add1", "#2c7bb6", "#0b3c78"] }
        },
        geo: {
          map: "vn", nameProperty: "code", roam: false, aspectScale: 0.95, layoutCenter: ["48%", "50%"], layoutSize: "92%",
          itemStyle: { borderColor: "#fff", borderWidth: 0.5, areaColor: "#cfd8dc" },
          emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffb74d" } },
          select: { disabled: true },
          regions: archipelagos.map(function (a) {
            return { name: a.code, itemStyle: { areaColor: "#546e7a", borderColor: "#546e7a", opacity: 0 }, emphasis: { disabled: true } };
          })
        },
        series: [
          { type: "map", geoIndex: 0, name: L.rate,
            data: data.provinces.map(function (p) { return { name: p.code, value: p.rate }; }) },
          // The islands themselves, as marks of a fixed colour on top of
          // their (framing) regions.
          { type: "scatter", coordinateSystem: "geo", silent: true, symbol: "rect", symbolSize: 6, z: 4,
            itemStyle: { color: "#546e7a" },
            data: archipelagos.reduce(function (acc, a) { return acc.concat(a.islets.map(function (p) { return { name: a.label, value: p }; })); }, []) },
          { type: "scatter", coordinateSystem: "geo", silent: true, symbolSize: 0, z: 5,
            label: { show: true, formatter: "{b}", color: "#263238", fontSize: 11, fontWeight: "bold", distance: 18 },
            data: archipelagos.map(function (a) { return { name: a.label, value: a.at, label: { position: a.labelAt } }; }) }
        ]
      });
      chart.on("click", function (it) { var p = byCode[it.name]; if (p) location.href = p.url; });
      ready("map");
    }).catch(function (e) { console.error("map: " + e); });
  }

  function drawSeries() {
    var chart = chartIn("series");
    if (!chart || !data.series || !data.series.length) return;
    var dates = data.series.map(function (p) { return p.date; });
    var actual = data.series.map(function (p) { return p.projected ? null : p.installs; });
    var lastActual = -1;
    data.series.forEach(function (p, i) { if (!p.projected) lastActual = i; });
    var proj = data.series.map(function (p, i) { return (p.projected || i === lastActual) ? p.installs : null; });
    var maxV = Math.max.apply(null, data.series.map(function (p) { return p.installs; }));
    var s = [
      { type: "line", name: L.actual, data: actual, showSymbol: false, lineStyle: { width: 2.5 }, areaStyle: { opacity: 0.12 } },
      { type: "line", name: L.projected, data: proj, showSymbol: false, lineStyle: { type: "dashed", width: 2 } }
    ];
    if (data.targetInstalls && data.targetInstalls <= 5 * maxV) {
      s[0].markLine = { silent: true, symbol: "none", lineStyle: { color: "#c62828", type: "dotted" },
        label: { formatter: L.target + ": " + fmt(data.targetInstalls), position: "insideEndTop" },
        data: [{ yAxis: data.targetInstalls }] };
    }
    chart.setOption({
      animation: false,
      color: ["#1565c0", "#ef6c00"],
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : fmt(v); } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: dates, boundaryGap: false },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return fmt(v); } } },
      series: s
    });
    ready("series");
  }

  function drawBars() {
    var chart = chartIn("bars");
    if (!chart || !data.districts || !data.districts.length) return;
    var items = data.districts.slice().sort(function (a, b) { return a.rate - b.rate; });
    chart.setOption({
      animation: false,
      color: ["#2c7bb6"],
      tooltip: { trigger: "item", formatter: function (it) { var d = items[it.dataIndex]; return d.name + "<br>" + L.rate + ": " + d.rateText + "<br>" + L.installs + ": " + d.installs; } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: items.map(function (d) { return d.name; }) },
      series: [{ type: "bar", data: items.map(function (d) { return d.rate; }),
        label: { show: true, position: "right", formatter: function (it) { return items[it.dataIndex].rateText; } } }]
    });
    ready("bars");
  }

  function drawKeys() {
    var chart = chartIn("keys-chart");
    if (!chart || !data.keys) return;
    chart.setOption({
      animation: false,
      color: ["#2e7d32", "#f9a825"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.keys.map(function (k) { return k.date; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "bar", name: L.keys, stack: "k", data: data.keys.map(function (k) { return k.keys; }) },
        { type: "bar", name: L.revised, stack: "k", data: data.keys.map(function (k) { return k.revised; }) }
      ]
    });
    ready("keys-chart");
  }

  drawMap();
  drawSeries();
  drawBars();
  drawKeys();
})();
