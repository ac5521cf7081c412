// Dashboard charts: each element with data-chart reads its table from the JSON block named by
// data-source (a ReportTable: columns with zh/en titles and kinds, rows, chart spec) and draws
// it with ECharts. Loaded as a file (the CSP allows no inline script); money arrives in fen and
// is plotted in yuan, rates arrive as fractions and are plotted as percentages.
(function () {
  "use strict";

  var lang = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "zh" : "en";

  function column(table, key) {
    for (var i = 0; i < table.columns.length; i++) {
      if (table.columns[i].key === key) return table.columns[i];
    }
    return { key: key, zh: key, en: key, kind: "text" };
  }

  function plotted(col, value) {
    if (value === null || value === undefined) return null;
    if (col.kind === "money") return value / 100;
    if (col.kind === "rate") return Math.round(value * 10000) / 100;
    return value;
  }

  function axisName(col) {
    var name = col[lang];
    if (col.kind === "money") return name + (lang === "zh" ? " (元)" : " (CNY)");
    if (col.kind === "rate") return name + " (%)";
    return name;
  }

  function labelKey(table, key) {
    // A stage or category may carry an English twin column (key + "_en").
    if (lang === "en" && table.columns.some(function (c) { return c.key === key + "_en"; })) {
      return key + "_en";
    }
    return key;
  }

  function unique(values) {
    var seen = [];
    values.forEach(function (v) { if (seen.indexOf(v) < 0) seen.push(v); });
    return seen;
  }

  function base(table, empty) {
    return {
      animation: false,
      tooltip: { renderMode: "richText" },
      title: table.rows.length ? undefined : { text: empty, left: "center", top: "middle",
        textStyle: { color: "#888", fontSize: 14 } },
      grid: { left: 70, right: 30, top: 40, bottom: 60 }
    };
  }

  function line(table, spec, option) {
    var x = column(table, spec.x), y = column(table, spec.y);
    var xs = unique(table.rows.map(function (r) { return r[spec.x]; })).sort(function (a, b) { return a - b; });
    var names = spec.series ? unique(table.rows.map(function (r) { return r[spec.series]; })) : [""];
    option.xAxis = { type: "category", name: axisName(x), nameLocation: "middle", nameGap: 30, data: xs };
    option.yAxis = { type: "value", name: axisName(y) };
    option.legend = { top: 0 };
    option.tooltip.trigger = "axis";
    option.series = names.map(function (name) {
      var rows = table.rows.filter(function (r) { return !spec.series || r[spec.series] === name; });
      return {
        type: "line", name: String(name), showSymbol: true,
        data: xs.map(function (v) {
          var hit = rows.filter(function (r) { return r[spec.x] === v; })[0];
          return hit ? plotted(y, hit[spec.y]) : null;
        })
      };
    });
  }

  function bar(table, spec, option) {
    var y = column(table, spec.y), key = labelKey(table, spec.x);
    option.xAxis = { type: "category", data: table.rows.map(function (r) { return String(r[key]); }),
      axisLabel: { rotate: table.rows.length > 6 ? 30 : 0 } };
    option.yAxis = { type: "value", name: axisName(y) };
    option.tooltip.trigger = "axis";
    option.series = [{ type: "bar", name: y[lang],
      data: table.rows.map(function (r) { return plotted(y, r[spec.y]); }) }];
  }

  function heatmap(table, spec, option) {
    var value = column(table, spec.value);
    var xs = unique(table.rows.map(function (r) { return r[spec.x]; })).sort();
    var ys = unique(table.rows.map(function (r) { return r[spec.y]; })).sort();
    option.xAxis = { type: "category", name: column(table, spec.x)[lang], data: xs, splitArea: { show: true } };
    option.yAxis = { type: "category", name: column(table, spec.y)[lang], data: ys, splitArea: { show: true } };
    option.visualMap = { min: 0, max: value.kind === "rate" ? 100 : 1, calculable: false,
      orient: "horizontal", left: "center", bottom: 0, itemHeight: 120 };
    option.grid.bottom = 80;
    option.series = [{
      type: "heatmap", name: value[lang], label: { show: true },
      data: table.rows.map(function (r) {
        return [xs.indexOf(r[spec.x]), ys.indexOf(r[spec.y]), plotted(value, r[spec.value])];
      })
    }];
  }

  function funnel(table, spec, option) {
    var key = labelKey(table, spec.x), y = column(table, spec.y);
    option.tooltip.trigger = "item";
    option.series = [{
      type: "funnel", name: y[lang], sort: "none", left: "15%", width: "70%",
      label: { show: true, position: "inside", formatter: "{b}: {c}" },
      data: table.rows.map(function (r) { return { name: String(r[key]), value: r[spec.y] }; })
    }];
  }

  var draw = { line: line, bar: bar, heatmap: heatmap, funnel: funnel };

  function render(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || !window.echarts) return;
    var table = JSON.parse(source.textContent);
    var spec = table.chart;
    if (!spec || !draw[spec.kind]) return;
    el.style.height = "340px";
    el.style.width = "100%";
    var option = base(table, el.getAttribute("data-empty") || "");
    draw[spec.kind](table, spec, option);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
