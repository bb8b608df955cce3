// KPI dashboard charts (ECharts, served by the app from static/vendor/echarts). Data is embedded in the page.
"use strict";
(function () {
  function draw() {
    var data = JSON.parse(document.getElementById("kpi-charts").textContent);
    var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
    var charts = [];
    function chart(id, option) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = echarts.init(el, null, {renderer: "canvas"});
      c.setOption(option);
      charts.push(c);
    }
    var rateAxis = {type: "value", name: "%", min: 0, max: 100, position: "right"};
    chart("chart-hourly", {
      tooltip: {trigger: "axis"}, legend: {data: ["排队 offered", "接通 answered", "接通率 answer rate %"]},
      xAxis: {type: "category", data: data.hourly.x},
      yAxis: [{type: "value", name: "calls"}, rateAxis],
      series: [{name: "排队 offered", type: "bar", data: data.hourly.offered},
               {name: "接通 answered", type: "bar", data: data.hourly.answered},
               {name: "接通率 answer rate %", type: "line", yAxisIndex: 1, data: data.hourly.answer_rate.map(pct)}]
    });
    chart("chart-daily", {
      tooltip: {trigger: "axis"}, legend: {data: ["排队 offered", "工单 tickets"]},
      xAxis: {type: "category", data: data.daily.x}, yAxis: {type: "value"},
      series: [{name: "排队 offered", type: "line", data: data.daily.offered},
               {name: "工单 tickets", type: "line", data: data.daily.tickets}]
    });
    chart("chart-heatmap", {
      tooltip: {position: "top"},
      xAxis: {type: "category", data: Array.from({length: 24}, function (_, h) { return h; }), splitArea: {show: true}},
      yAxis: {type: "category", data: ["日 Sun", "一 Mon", "二 Tue", "三 Wed", "四 Thu", "五 Fri", "六 Sat"],
              splitArea: {show: true}},
      visualMap: {min: 0, max: Math.max(1, data.heatmap.max), calculable: true, orient: "horizontal",
                  left: "center", bottom: 0},
      grid: {bottom: 70},
      series: [{name: "排队 offered", type: "heatmap", data: data.heatmap.cells, label: {show: false}}]
    });
    function bars(id, d, names) {
      chart(id, {
        tooltip: {trigger: "axis"}, legend: {data: names},
        xAxis: {type: "category", data: d.x, axisLabel: {rotate: 30}},
        yAxis: [{type: "value"}, rateAxis], grid: {bottom: 80},
        series: [{name: names[0], type: "bar", data: d[d.names[0]]},
                 {name: names[1], type: "line", yAxisIndex: 1, data: d[d.names[1]].map(pct)}]
      });
    }
    bars("chart-lines", data.lines, ["排队 offered", "接通率 answer rate %"]);
    bars("chart-departments", data.departments, ["工单 tickets", "按时办结率 on-time closure %"]);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.dataset.chartsReady = String(charts.length);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
