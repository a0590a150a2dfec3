// The "what if" page: live updates of the classes and first priorities as the weights move.
// Without this script the page is a plain form (Show); with it, each change fetches the JSON
// variant (same query) and rewrites the outcome. Nothing is saved either way.
(function () {
  "use strict";
  var form = document.getElementById("whatif-form");
  if (!form || !window.fetch) { return; }
  var words = document.getElementById("whatif-words").dataset;
  var errorBox = document.getElementById("whatif-error");
  var timer = null;
  var latest = 0;

  // the sliders are only useful with this script: show them, keep them in step with the numbers
  form.querySelectorAll("input[type=range]").forEach(function (range) {
    var number = document.getElementById(range.dataset.for);
    range.hidden = false;
    range.removeAttribute("aria-hidden");
    range.removeAttribute("tabindex");
    range.addEventListener("input", function () { number.value = range.value; schedule(); });
    number.addEventListener("input", function () {
      var v = parseFloat(number.value.replace(",", "."));
      if (isFinite(v)) { range.value = Math.min(100, Math.max(0, v)); }
      schedule();
    });
  });

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 200);
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { params.append(key, value); });
    return params.toString();
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function showError(data) {
    form.querySelectorAll(".weight").forEach(function (w) {
      var input = w.querySelector("input[type=number]");
      var bad = data && input.name === data.field;
      w.classList.toggle("invalid", bad);
      if (bad) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    });
    errorBox.hidden = !data;
    if (data) { errorBox.querySelector("p").textContent = data.error + " (" + data.field + ")"; }
  }

  function render(data) {
    data.dimensions.forEach(function (d) {
      var out = form.querySelector('output[data-used="' + d.id + '"]');
      if (out) { out.textContent = d.percent; }
    });
    data.indices.forEach(function (ix) {
      var row = document.querySelector('tr[data-index="' + ix.id + '"]');
      if (!row) { return; }
      row.classList.toggle("changed", ix.changed);
      row.querySelector('[data-field="value"]').textContent = ix.value;
      var cell = row.querySelector('[data-field="class"]');
      cell.textContent = "";
      cell.appendChild(element("span", "cls cls-" + ix["class"], ix.class_label));
      if (ix.changed) {
        cell.appendChild(document.createTextNode(" "));
        cell.appendChild(element("strong", "moved", words.changed));
      }
    });
    document.querySelector('[data-field="quadrant"]').textContent = data.quadrant;
    var list = document.getElementById("whatif-priorities");
    list.textContent = "";
    if (!data.priorities.length) { list.appendChild(element("li", "none", words.none)); }
    data.priorities.forEach(function (p) {
      var li = element("li");
      li.dataset.activity = p.activity;
      li.appendChild(element("strong", "", p.name));
      li.appendChild(element("span", "muted", " · " + p.dimension + " · " + words.gap + " " + p.gap));
      if (p["new"]) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(element("span", "pill new", words["new"]));
      } else if (p.kept_rank !== p.rank) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(element("span", "pill", words.was.replace("{rank}", p.kept_rank)));
      }
      list.appendChild(li);
    });
  }

  function update() {
    var q = query();
    var ticket = ++latest;
    window.fetch(form.dataset.json + "?" + q, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (pair) {
        if (ticket !== latest) { return; }  // an older answer arriving late
        if (!pair[0]) { showError(pair[1]); return; }
        showError(null);
        render(pair[1]);
        window.history.replaceState(null, "", form.action + "?" + q);
      })
      .catch(function () { /* offline: the form's button still works */ });
  }
})();
