/* A read-only field marked data-select-on-click selects its whole value on a
 * click, so a personal link can be copied in one go (no inline onclick: CSP). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-click")) {
      field.select();
    }
  });
})();
