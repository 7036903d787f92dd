/* The chair-side session page.
 *
 * Draws the vitals chart, and sends the fast vitals entry and alert
 * acknowledgements (forms marked data-live) with fetch(): the server answers
 * with the live part of the page (alerts, vitals entry, chart, table), which
 * replaces the old one in place, and focus goes back to the first vital so the
 * next row can be typed at once. The request carries "HX-Request: true" so the
 * view (django-htmx's request.htmx) knows to answer with that part only.
 *
 * Without this script every form is an ordinary POST and redirect, and the
 * page works the same, one reload per row.
 */
(function () {
  "use strict";

  var LIVE_IDS = ["session-alerts", "vitals-live"];
  // No mode bar: the chart is read at a glance on a tablet; the table has the numbers.
  var PLOT_CONFIG = { responsive: true, displayModeBar: false };

  function draw() {
    var data = document.getElementById("vitals-figure");
    var target = document.getElementById("vitals-chart");
    if (!data || !target || !window.Plotly) return;
    var figure = JSON.parse(data.textContent);
    window.Plotly.react(target, figure.data, figure.layout, PLOT_CONFIG);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var swapped = 0;
    LIVE_IDS.forEach(function (id) {
      var fresh = doc.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) {
        old.replaceWith(document.importNode(fresh, true));
        swapped += 1;
      }
    });
    if (swapped) draw();
    return swapped > 0;
  }

  function problem(form, text) {
    var note = form.querySelector(".live-problem");
    if (!note) {
      note = document.createElement("p");
      note.className = "errors live-problem";
      note.setAttribute("role", "alert");
      form.appendChild(note);
    }
    note.textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-live") || !window.fetch) {
      return;
    }
    event.preventDefault();
    var focusName = form.getAttribute("data-focus");
    var formId = form.id;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "HX-Request": "true" },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.text().then(function (html) {
          // 200: saved; 400/409: not saved, the answer shows why with the values as typed.
          if (!swap(html)) {
            throw new Error("Not saved (" + response.status + "). Reload the page and try again.");
          }
          var again = formId && document.getElementById(formId);
          var input = again && focusName && again.querySelector('[name="' + focusName + '"]');
          if (again && again.querySelector(".has-error input")) {
            input = again.querySelector(".has-error input");
          }
          if (input) input.focus();
        });
      })
      .catch(function (error) {
        // Never re-send on our own: the first post may have been stored.
        if (button) button.disabled = false;
        problem(form, error.message && error.message.indexOf("Not saved") === 0
          ? error.message
          : "No answer from the server: check the connection, then reload before retrying.");
      });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
