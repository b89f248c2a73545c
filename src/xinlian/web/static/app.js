// xinlian: the little plain JavaScript the pages need (no inline scripts anywhere: the CSP forbids them).
(function () {
  "use strict";
  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-confirm]") : null;
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });
  // Forms with data-ask-reason ask for a reason (e.g. moving a project) and put it in their "reason" field.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-ask-reason")) return;
    var field = form.querySelector("input[name=reason]");
    if (!field || field.value) return;
    var answer = window.prompt(form.getAttribute("data-ask-reason"), "");
    if (answer === null) { ev.preventDefault(); return; }
    field.value = answer;
  });
})();
