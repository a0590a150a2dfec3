/* innexport: the action plan's form (plain JavaScript, a static file: the Content-Security-Policy
 * allows no inline script).
 *
 * The whole plan is one form (#plan-form, the Save bar under the table; the fields in the table
 * belong to it through their form="plan-form" attribute, so that each action's Delete keeps its own
 * small form) with one Save. This file marks what is not saved yet:
 * each changed action's row gets the class "dirty", the marker #plan-unsaved is shown, and the
 * browser asks before leaving the page (closing the tab, following a link, deleting or adding an
 * action, changing the language) while changes are unsaved. A form the server sent back with the
 * user's input after a refused save (data-unsaved) starts as unsaved. Saving the plan clears it.
 * Without JavaScript the form works the same, without the marker and the warning.
 */
(function () {
  "use strict";

  var form = document.getElementById("plan-form");
  var marker = document.getElementById("plan-unsaved");
  if (!form) return;
  var sentBack = form.hasAttribute("data-unsaved");
  var submitting = false;

  function fields(root) {
    return Array.prototype.filter.call(root.querySelectorAll("input, select, textarea"), function (el) {
      return el.form === form && el.type !== "hidden" && el.type !== "submit" && el.type !== "button";
    });
  }

  function changed(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }

  function dirty() {
    var any = sentBack;
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-row]"), function (row) {
      var rowChanged = fields(row).some(changed);
      row.classList.toggle("dirty", rowChanged);
      any = any || rowChanged;
    });
    if (marker) marker.hidden = !any;
    form.toggleAttribute("data-dirty", any);
    return any;
  }

  function onEdit(event) { if (event.target && event.target.form === form) dirty(); }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  form.addEventListener("submit", function () { submitting = true; });

  window.addEventListener("beforeunload", function (event) {
    if (submitting || !dirty()) return undefined;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own message
    return "";
  });

  dirty();
})();
