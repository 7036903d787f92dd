/* The patient's diary entry form: shows the − / + steppers beside the number
 * fields (hidden without JavaScript, where the fields are typed as usual) and
 * shows the urgent-help box as soon as "urgent" is ticked. */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll(".step").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.dataset.target);
        var value = parseInt(input.value, 10);
        if (isNaN(value)) { value = 0; }
        value = Math.min(Math.max(value + parseInt(button.dataset.step, 10), 0), parseInt(input.max, 10));
        input.value = value;
        input.dispatchEvent(new Event("input", {bubbles: true}));
      });
    });
    var urgent = document.getElementById("id_urgent");
    var help = document.getElementById("urgent-help");
    if (urgent && help) {
      urgent.addEventListener("change", function () { help.hidden = !urgent.checked; });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
