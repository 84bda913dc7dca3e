// paicha console: small enhancements only. Every page works without this
// file; the server renders everything and checks every form.
(function () {
  "use strict";
  // Ask before destructive actions (forms with data-confirm), and keep a
  // form from being sent twice by a double click.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // After the browser has read the form (a disabled button is not sent).
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // The case file's print button (no inline script: the CSP forbids it).
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-print]")) {
      window.print();
    }
  });
  // Coming back with the Back button: buttons usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
})();
