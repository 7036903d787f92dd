/* Draws the cohort dashboard's charts from the json_script tag
 * "analytics-figures" ({name: {data, layout}}) into the elements
 * "chart-<name>"; no inline script (Content-Security-Policy). */
(function () {
  "use strict";

  function drawAll() {
    var source = document.getElementById("analytics-figures");
    if (!source || !window.Plotly) return;
    var figures = JSON.parse(source.textContent);
    Object.keys(figures).forEach(function (name) {
      var target = document.getElementById("chart-" + name);
      if (!target) { return; }
      var fig = figures[name];
      window.Plotly.newPlot(target, fig.data, fig.layout, {
        responsive: true,
        displaylogo: false,
        scrollZoom: false,
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
