/* innexport: the small behaviours of every page, as a static file (plain JavaScript, no library).
 *
 * The Content-Security-Policy (innexport.web.settings, CONTENT_SECURITY_POLICY) allows scripts
 * from the application's own origin only: no inline <script>, no onclick/onchange attributes.
 * Templates therefore mark elements with data attributes and this file gives them their behaviour:
 *
 *   data-autosubmit      a <select> that submits its form when changed (the language picker)
 *   data-select-on-click an <input> whose text is selected when clicked (a new API token)
 *   data-confirm="…"     a <form> that asks for confirmation before it is submitted
 *   #report-frame        the results page's report <iframe>, fitted to the report's height
 *
 * Without JavaScript every page still works (a plain form, a fixed-height frame).
 */
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.submit(); });
  });

  document.querySelectorAll("input[data-select-on-click]").forEach(function (input) {
    input.addEventListener("click", function () { input.select(); });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Fit the report frame to the report, so that the page has one scroll bar.
  var frame = document.getElementById("report-frame");
  if (frame) {
    var fit = function () {
      try {
        var doc = frame.contentDocument, body = doc && doc.body;
        if (!body) { return; }
        var style = frame.contentWindow.getComputedStyle(body);
        var height = body.offsetHeight + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
        if (height > 200) { frame.style.height = Math.ceil(height + 2) + "px"; }
      } catch (e) { /* not readable: keep the fixed height */ }
    };
    frame.addEventListener("load", function () { fit(); setTimeout(fit, 300); });
    window.addEventListener("resize", fit);
    // The frame may have loaded before this deferred script ran.
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
  }
})();
