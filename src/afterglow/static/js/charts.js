/* Draws every Plotly chart on the page from data the server put in a
 * json_script tag, so pages need no inline script (Content-Security-Policy).
 *
 *   <div id="pcl5-chart" class="chart" data-figure="pcl5-figure"
 *        data-narrow-hide="dose-label"></div>
 *   {{ figure|json_script:"pcl5-figure" }}
 *
 * data-figure: the id of the json_script tag holding {data, layout}.
 * data-narrow-hide: on a screen under 640 px, drop the layout annotations with
 *   this name (the "dose n" labels would overlap; hover and the tables still
 *   name each dose).
 * data-scroll-zoom="off": the wheel scrolls the page, never zooms the chart.
 * On a screen under 640 px the toolbar (modebar) is not shown: it would cover the
 * plot, and a finger cannot reach its small buttons anyway.
 *
 * plotly.js loads before this script (`defer`, in order) or `async` with the
 * attribute data-plotly, as on the patient chart (below).
 *
 * When every chart on the page is drawn (each Plotly.newPlot promise resolved) the
 * page gets the performance mark "afterglow:charts-drawn": `make bench-web` reads it
 * for the chart's first visit (time from the navigation to every chart drawn).
 */
(function () {
  "use strict";

  var NARROW_PX = 640;

  function draw(target) {
    var source = document.getElementById(target.getAttribute("data-figure"));
    if (!source || !window.Plotly) return null;
    var fig = JSON.parse(source.textContent);
    var hide = target.getAttribute("data-narrow-hide");
    if (hide && target.clientWidth < NARROW_PX && fig.layout && fig.layout.annotations) {
      fig.layout.annotations = fig.layout.annotations.filter(function (a) {
        return a.name !== hide;
      });
    }
    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"]
    };
    if (target.clientWidth < NARROW_PX) config.displayModeBar = false;
    if (target.getAttribute("data-scroll-zoom") === "off") config.scrollZoom = false;
    return window.Plotly.newPlot(target, fig.data, fig.layout, config);
  }

  function drawAll() {
    var drawn = [];
    var missing = false;
    document.querySelectorAll("[data-figure]").forEach(function (target) {
      var plotted = draw(target);
      if (plotted) drawn.push(plotted);
      else missing = true;
    });
    if (missing) return;
    Promise.all(drawn).then(function () {
      if (window.performance && performance.mark) performance.mark("afterglow:charts-drawn");
    });
  }

  // plotly.js may load `async` (the patient chart: the page is parsed and htmx set up
  // without waiting for its 1.2 MB) with the attribute data-plotly: then draw once it
  // has run, whichever of the two scripts runs first.
  function start() {
    var plotly = document.querySelector("script[data-plotly]");
    if (window.Plotly || !plotly) drawAll();
    else plotly.addEventListener("load", drawAll);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
