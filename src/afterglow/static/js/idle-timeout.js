/* Idle timeout warning on staff pages (issue 11).
 *
 * The server ends a session after SESSION_IDLE_MINUTES without a request. This script
 * only mirrors that clock: a minute before the end it asks the server how long is left
 * (a GET that does not extend the session, so other tabs' activity counts), shows the
 * warning if the end is near, and reloads the page when the session has ended so the
 * server can send the person to the sign-in page. "Stay signed in" posts to the server,
 * which is a request like any other and starts the idle clock again.
 * No polling in between: the page does not keep the session alive by itself.
 */
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box || !window.fetch) { return; }
  var WARN_SECONDS = 60;
  var statusUrl = box.getAttribute("data-status-url");
  var form = document.getElementById("idle-stay");
  var timer = null;

  function schedule(secondsLeft) {
    window.clearTimeout(timer);
    if (secondsLeft > WARN_SECONDS) {
      box.hidden = true;
      timer = window.setTimeout(check, (secondsLeft - WARN_SECONDS) * 1000);
    } else if (secondsLeft > 0) {
      box.hidden = false;
      timer = window.setTimeout(check, secondsLeft * 1000 + 500);
    } else {
      window.location.reload();
    }
  }

  function fromServer(response) {
    if (!response.ok) { throw new Error("status " + response.status); }
    return response.json().then(function (data) {
      schedule(data.signed_in ? data.seconds_left : 0);
    });
  }

  function check() {
    window.fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(fromServer)
      .catch(function () { timer = window.setTimeout(check, 30000); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.fetch(statusUrl, { method: "POST", credentials: "same-origin", body: new FormData(form) })
      .then(fromServer)
      .catch(function () { window.location.reload(); });
  });

  schedule(parseInt(box.getAttribute("data-seconds-left"), 10) || 0);
})();
