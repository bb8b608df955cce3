// 民情地图: the shipped GeoJSON drawn with the vendored ECharts map series, coloured by tickets per km².
"use strict";
(function () {
  function draw() {
    var el = document.getElementById("map");
    var data = JSON.parse(document.getElementById("map-data").textContent);
    fetch(el.dataset.geojson, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (geojson) {
        echarts.registerMap("centre-" + data.level, geojson);
        var max = Math.max.apply(null, data.places.map(function (p) { return p.value; }).concat([1]));
        var chart = echarts.init(el, null, {renderer: "canvas"});
        chart.setOption({
          tooltip: {trigger: "item", formatter: function (p) {
            var d = p.data || {tickets: 0, value: 0, area_km2: "?"};
            return p.name + "<br>工单 " + d.tickets + " · " + d.area_km2 + " km²<br>" + d.value + " / km²";
          }},
          visualMap: {min: 0, max: max, text: ["高 high", "低 low"], calculable: true,
                      inRange: {color: ["#fff5f0", "#fcae91", "#fb6a4a", "#cb181d", "#67000d"]}},
          series: [{type: "map", map: "centre-" + data.level, roam: true, nameProperty: "name",
                    label: {show: true}, data: data.places}]
        });
        el.dataset.drawn = String(data.places.length);
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function (e) { el.textContent = "地图加载失败 map failed: " + e; el.dataset.drawn = "error"; });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
