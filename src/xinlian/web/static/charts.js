// xinlian charts: read data from <script type="application/json"> blocks and draw them with ECharts.
// Every text that may come from outside (firm names, node names) goes through echarts.format.encodeHTML
// before it is put into tooltip HTML.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var enc = echarts.format.encodeHTML;

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var STAGE_COLOURS = { upstream: "#2f6fb0", midstream: "#7a4fb0", downstream: "#2f9a6a" };
  var VERDICT_COLOURS = { strong: "#2e9b57", weak: "#e0a020", missing: "#d64541", at_risk: "#8e44ad",
                          not_applicable: "#a0a4a8" };
  var charts = [];

  function chainMap(el) {
    var data = readJSON(el.getAttribute("data-json"));
    var L = readJSON(el.getAttribute("data-labels")) || {};
    var en = L.lang === "en";
    var colW = 150, rowH = 44;
    var maxFirms = 1;
    data.nodes.forEach(function (n) { if (n.firms > maxFirms) maxFirms = n.firms; });
    var nodes = [];
    data.columns.forEach(function (c, i) {
      nodes.push({ id: "group:" + c.id, name: en ? c.name_en : c.name, x: i * colW, y: -rowH, symbolSize: 1,
                   itemStyle: { color: "rgba(0,0,0,0)", borderWidth: 0 }, header: true, tooltip: { show: false },
                   label: { show: true, fontWeight: "bold", color: STAGE_COLOURS[c.stage] || "#333", fontSize: 13 } });
    });
    data.nodes.forEach(function (n) {
      var colour;
      if (data.coloured_by === "verdict") {
        colour = VERDICT_COLOURS[n.verdict] || "#c8ccd0";
      } else {
        colour = n.firms > 0 ? "#2f6fb0" : "#c8ccd0";
      }
      nodes.push({ id: n.id, name: en ? n.name_en : n.name, x: n.col * colW, y: n.row * rowH,
                   symbolSize: 12 + 22 * Math.sqrt(n.firms / maxFirms), itemStyle: { color: colour },
                   firms: n.firms, verdict: n.verdict, stage: n.stage });
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          if (p.dataType !== "node" || p.data.header) return "";
          var d = p.data;
          var html = "<b>" + enc(d.name) + "</b><br>" + enc(L[d.stage] || d.stage) + "<br>" +
                     enc(L.firms || "firms") + ": " + enc(String(d.firms));
          if (d.verdict) html += "<br>" + enc(L.verdict || "verdict") + ": " + enc(L[d.verdict] || d.verdict);
          return html;
        }
      },
      series: [{
        type: "graph", layout: "none", roam: true, data: nodes,
        links: data.edges.map(function (e) { return { source: e.source, target: e.target }; }),
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 5,
        lineStyle: { color: "#9aa5b1", opacity: 0.35, curveness: 0.15, width: 1 },
        label: { show: true, position: "right", fontSize: 11, color: "#223",
                 formatter: function (p) { return p.data.header ? p.data.name : p.data.name + " " + p.data.firms; } },
        emphasis: { focus: "adjacency", lineStyle: { opacity: 0.9, width: 2 } }
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node" && !p.data.header) {
        window.location.href = "/chain/nodes/" + encodeURIComponent(p.data.id);
      }
    });
    return chart;
  }

  function funnel(el) {
    var rows = readJSON(el.getAttribute("data-json")) || [];
    var L = readJSON(el.getAttribute("data-labels")) || {};
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 90, right: 30, top: 10, bottom: 20 },
      tooltip: { formatter: function (p) { return enc(p.name) + ": " + enc(String(p.value)); } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: [{ type: "bar", name: L.projects || "", data: rows.map(function (r) { return r.count; }),
                 itemStyle: { color: "#2f6fb0" }, label: { show: true, position: "right" } }]
    });
    return chart;
  }

  function figures(el) {
    var rows = readJSON(el.getAttribute("data-json")) || [];
    var L = readJSON(el.getAttribute("data-labels")) || {};
    var years = rows.map(function (r) { return String(r.year); });
    function col(k, scale) { return rows.map(function (r) { return r[k] == null ? null : r[k] / scale; }); }
    var money = L.lang === "en" ? " (m yuan)" : "（万元）";
    var scale = L.lang === "en" ? 1e6 : 1e4;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      legend: {},
      grid: { left: 70, right: 60, top: 40, bottom: 30 },
      tooltip: { trigger: "axis", formatter: function (ps) {
        return ps.map(function (p) {
          return enc(p.seriesName) + ": " + (p.value == null ? "—" : enc(Number(p.value).toLocaleString()));
        }).join("<br>");
      } },
      xAxis: { type: "category", data: years },
      yAxis: [{ type: "value", name: money }, { type: "value", name: L.employees || "" }],
      series: [
        { type: "line", name: (L.output || "output") + money, data: col("output_value", scale), connectNulls: true },
        { type: "line", name: (L.revenue || "revenue") + money, data: col("revenue", scale), connectNulls: true },
        { type: "line", name: (L.tax || "tax") + money, data: col("tax", scale), connectNulls: true },
        { type: "bar", name: L.employees || "employees", yAxisIndex: 1, data: col("employees", 1), barMaxWidth: 24,
          itemStyle: { opacity: 0.4 } }
      ]
    });
    return chart;
  }

  var kinds = { "chain-map": chainMap, "funnel": funnel, "figures-chart": figures };
  Object.keys(kinds).forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { charts.push(kinds[id](el)); el.setAttribute("data-drawn", "1"); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
