// foyer: the CSRF double-submit token (the foyer_csrf cookie) on every unsafe request:
// a header on htmx requests, the csrf_token field of plain forms.
(function () {
  "use strict";
  function token() {
    var match = document.cookie.match(/(?:^|; )foyer_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = token();
  });
  document.addEventListener("submit", function (event) {
    var field = event.target.querySelector('input[name="csrf_token"]');
    if (field && !field.value) { field.value = token(); }
  }, true);
})();
