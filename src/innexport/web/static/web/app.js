/* innexport: the small behaviours of every page, as a static file (plain JavaScript, no library).
 *
 * The Content-Security-Policy (innexport.web.settings, CONTENT_SECURITY_POLICY) allows scripts
 * from the application's own origin only: no inline <script>, no onclick/onchange attributes.
 * Templates therefore mark elements with data attributes and this file gives them their behaviour:
 *
 *   data-autosubmit      a <select> that submits its form when changed (the language picker)
 *   data-select-on-click an <input> whose text is selected when clicked (a new API token)
 *   data-confirm="…"     a <form> that asks for confirmation before it is submitted
 *   data-download        a link to a file that takes a while to make (a PDF): fetched here with a
 *                        busy state (aria-busy, a spinner) and a role=status text, then saved under
 *                        the server's file name; the messages are base.html's <body data-msg-…>
 *   details[data-menu]   the header's disclosures (the menu, the account): opened where app.css hides
 *                        their summary if ::details-content is not supported; else closed by Escape
 *                        or a click elsewhere
 *   #report-frame        the results page's report <iframe>, fitted to the report's height
 *   main table           wrapped in a .table-scroll container, so that a wide table scrolls inside
 *                        it and not the page; when it does scroll, the container is focusable and
 *                        named (a region), so that it can be scrolled from the keyboard
 *                        (WCAG 2.1 1.4.10 Reflow, 2.1.1 Keyboard; axe-core's scrollable-region-focusable)
 *
 * Without JavaScript every page still works (a plain form, a plain download link, a fixed-height
 * frame, the menu as a disclosure).
 */
(function () {
  "use strict";

  var body = document.body;
  var message = function (name, fallback) { return (body && body.getAttribute("data-msg-" + name)) || fallback; };

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

  // The header's disclosures (the menu, the account): where app.css hides a summary, its content is
  // shown (::details-content; older browsers: opened here); where the summary shows, Escape or a click
  // elsewhere closes it.
  var contentShown = !!(window.CSS && CSS.supports && CSS.supports("selector(::details-content)"));
  document.querySelectorAll("details[data-menu]").forEach(function (menu) {
    var summary = menu.querySelector(":scope > summary");
    if (!summary) return;
    var folded = function () { return window.getComputedStyle(summary).display !== "none"; };
    var sync = function () { if (!contentShown && !folded()) menu.open = true; };
    sync();
    window.addEventListener("resize", sync);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && folded() && menu.contains(document.activeElement)) {
        menu.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && folded() && !menu.contains(event.target)) menu.open = false;
    });
  });

  // Wide tables scroll inside their own container.
  var scrollers = [];
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement.closest("table")) return;
    var wrap = table.parentElement.classList.contains("table-scroll") ? table.parentElement : null;
    if (!wrap) {
      wrap = document.createElement("div");
      wrap.className = "table-scroll";
      table.parentNode.insertBefore(wrap, table);
      wrap.appendChild(table);
    }
    scrollers.push(wrap);
  });
  var nameOf = function (wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var el = wrap.previousElementSibling; el; el = el.previousElementSibling) {
      if (/^H[1-4]$/.test(el.tagName)) return el.textContent.trim();
    }
    return message("table", "Table");
  };
  var fitScrollers = function () {
    scrollers.forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", nameOf(wrap));
      } else {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  };
  fitScrollers();
  window.addEventListener("resize", fitScrollers);

  // Slow downloads: a busy state and a status text while the file is made, then the file saved.
  var fileName = function (response, link) {
    var disposition = response.headers.get("Content-Disposition") || "";
    var star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
    if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* fall through */ } }
    var plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
    if (plain) return plain[1];
    return link.getAttribute("download") || link.pathname.split("/").pop() || "download";
  };
  document.querySelectorAll("a[data-download]").forEach(function (link) {
    var status = document.createElement("span");
    status.className = "download-status";
    status.setAttribute("role", "status");
    link.insertAdjacentElement("afterend", status);
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      if (!window.fetch || !window.URL || !URL.createObjectURL) return;  // the plain link
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      status.classList.remove("error");
      status.textContent = link.getAttribute("data-download") || message("busy", "Preparing the file…");
      var done = function () { link.removeAttribute("aria-busy"); };
      fetch(link.href, { credentials: "same-origin" }).then(function (response) {
        if (response.redirected || (response.headers.get("Content-Type") || "").indexOf("text/html") === 0) {
          done();  // a page, not a file (the session ended: the login page): let the browser show it
          status.textContent = "";
          window.location.href = link.href;
          return;
        }
        if (!response.ok) {
          return response.text().then(function (text) {
            var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
            status.classList.add("error");
            status.textContent = message("failed", "The file could not be made.") +
              (plain && text ? " " + text.slice(0, 300) : " (HTTP " + response.status + ")");
            done();
          });
        }
        var name = fileName(response, link);
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var save = document.createElement("a");
          save.href = url;
          save.download = name;
          save.hidden = true;
          body.appendChild(save);
          save.click();
          save.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          status.textContent = message("ready", "Downloaded:") + " " + name;
          done();
        });
      }).catch(function () {
        done();
        status.textContent = "";
        window.location.href = link.href;  // the network failed: let the browser try the plain link
      });
    });
  });

  // Fit the report frame to the report, so that the page has one scroll bar.
  var frame = document.getElementById("report-frame");
  if (frame) {
    var fit = function () {
      try {
        var doc = frame.contentDocument, frameBody = doc && doc.body;
        if (!frameBody) { return; }
        var style = frame.contentWindow.getComputedStyle(frameBody);
        var height = frameBody.offsetHeight + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
        if (height > 200) { frame.style.height = Math.ceil(height + 2) + "px"; }
      } catch (e) { /* not readable: keep the fixed height */ }
    };
    frame.addEventListener("load", function () { fit(); setTimeout(fit, 300); });
    window.addEventListener("resize", fit);
    // The frame may have loaded before this deferred script ran.
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
  }
})();
