// Karavan's own page script: draws the Plotly figures embedded in the page (their JSON sits in
// <script type="application/json"> elements), offers their PNG download (Plotly.downloadImage,
// in the browser, offline), and loads fragments that take longer to compute (the overview's
// trend) after the page has rendered. Selector forms are not submitted on change: a keyboard
// user moving through a list must not reload the page (WCAG 3.2.2); they have a button.
(function () {
  "use strict";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["sendDataToCloud", "editInChartStudio"],
  };

  // Plotly (4.8 MB) is loaded only on pages with a chart, and without blocking the page's first
  // render: the script element is added once the page is shown, and charts are drawn when it
  // has run. Its URL is on <html data-plotly-src>.
  var plotlyWaiting = [];
  function withPlotly(callback) {
    if (typeof Plotly !== "undefined") { callback(); return; }
    plotlyWaiting.push(callback);
    if (plotlyWaiting.length > 1 || document.getElementById("plotly-js")) { return; }
    var script = document.createElement("script");
    script.id = "plotly-js";
    script.src = document.documentElement.dataset.plotlySrc;
    script.onload = function () {
      var callbacks = plotlyWaiting;
      plotlyWaiting = [];
      callbacks.forEach(function (cb) { cb(); });
    };
    document.head.appendChild(script);
  }

  function draw(el) {
    var data = document.getElementById(el.dataset.figure);
    if (!data) { return; }
    if (typeof Plotly === "undefined") { withPlotly(function () { draw(el); }); return; }
    var fig = JSON.parse(data.textContent);
    var cfg = Object.assign({}, config, {
      toImageButtonOptions: { format: "png", filename: el.dataset.filename || "karavan-chart", scale: 2 },
    });
    Plotly.newPlot(el, fig.data, fig.layout, cfg).then(function () {
      el.dataset.drawn = "true";
    });
  }

  function bind(root) {
    root.querySelectorAll("[data-figure]").forEach(draw);
    root.querySelectorAll(".png-button").forEach(function (button) {
      button.addEventListener("click", function () {
        var el = document.getElementById(button.dataset.chart);
        if (el && typeof Plotly !== "undefined") {
          Plotly.downloadImage(el, { format: "png", filename: el.dataset.filename || "karavan-chart", scale: 2 });
        }
      });
    });
  }

  function loadFragment(el) {
    fetch(el.dataset.fragment, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      })
      .then(function (result) {
        if (result.ok) {
          el.innerHTML = result.text;
          bind(el);
        } else {
          el.dataset.failed = "true";
        }
        el.removeAttribute("aria-busy");
      });
  }

  function start() {
    bind(document);
    document.querySelectorAll("[data-fragment]").forEach(loadFragment);
  }

  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
