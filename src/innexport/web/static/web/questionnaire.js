/* innexport questionnaire: every answer is saved as it is given (plain JavaScript, no library).
 *
 * Each change (a level chosen, "don't know", a comment typed) first goes into a queue kept in
 * localStorage, so that a closed tab or a lost connection loses nothing; the queue is then sent,
 * one answer at a time, to the form's data-answer-url as JSON {question_id, value, comment} with
 * the CSRF token of the cookie. A failed send is retried with a growing delay, and whatever is
 * left is sent on the next page load. Without JavaScript the page is a normal form that saves
 * all its answers when submitted.
 *
 * Every text it shows is the page's, in the questionnaire's language: the statuses come from the
 * form's data-msg-* attributes (data-msg-waiting-one/-other: "{n} answers waiting…" in each plural
 * form, chosen with Intl.PluralRules), the progress box's texts from each saved answer's reply
 * (answered with a level, "don't know" apart, and how many more answers the results need).
 */
(function () {
  "use strict";

  // "Copy" button of the director's link
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.querySelector(button.dataset.copy);
    if (!input) return;
    input.addEventListener("focus", function () { input.select(); });
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () { button.textContent = button.dataset.copied; });
    });
  });

  var form = document.getElementById("qform");
  if (!form || !window.fetch || !window.JSON) return;
  var url = form.dataset.answerUrl;
  var key = form.dataset.queueKey;
  var msg = form.dataset;
  var plural = null;  // the plural form of a number in the questionnaire's language
  try {
    plural = new Intl.PluralRules(form.lang || document.documentElement.lang || "en");
  } catch (e) {
    plural = null;
  }
  var memory = {};  // the queue when localStorage is unavailable (private mode, full)
  var storage = null;
  try {
    storage = window.localStorage;
    storage.setItem(key + ":probe", "1");
    storage.removeItem(key + ":probe");
  } catch (e) {
    storage = null;
  }

  // --- the queue: {question_id: {question_id, value?, comment?, seq}} ---------------------------
  function load() {
    if (!storage) return memory;
    try {
      return JSON.parse(storage.getItem(key) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function store(queue) {
    memory = queue;
    if (!storage) return;
    try {
      if (Object.keys(queue).length) storage.setItem(key, JSON.stringify(queue));
      else storage.removeItem(key);
    } catch (e) {
      storage = null;  // full: keep the queue in memory from now on
    }
  }

  var seq = Date.now();

  function enqueue(qid, change) {
    var queue = load();
    var entry = queue[qid] || { question_id: qid };
    Object.keys(change).forEach(function (k) { entry[k] = change[k]; });
    entry.seq = ++seq;
    queue[qid] = entry;
    store(queue);
    setStatus(qid, "pending");
    showWaiting(Object.keys(queue).length);
  }

  // --- what the person sees ------------------------------------------------------------------------
  function fieldset(qid) {
    return form.querySelector('fieldset[data-question="' + qid + '"]');
  }

  function setStatus(qid, state, detail) {
    var fs = fieldset(qid);
    if (!fs) return;
    var el = fs.querySelector(".q-status");
    if (!el) return;
    var texts = {
      pending: msg.msgPending, saving: msg.msgSaving, saved: msg.msgSaved, retrying: msg.msgRetrying,
      login: msg.msgLogin, failed: msg.msgFailed + " " + (detail || ""),
    };
    el.className = "q-status " + state;
    el.textContent = texts[state] || "";
  }

  var everSaved = false;

  function showWaiting(n) {
    var el = form.querySelector(".q-global-status");
    if (!el) return;
    el.className = "q-global-status" + (n ? " waiting" : " saved");
    el.textContent = n ? waitingText(n) : (everSaved ? msg.msgAllSaved : "");
  }

  function waitingText(n) {
    var form_ = plural && plural.select(n) === "one" ? msg.msgWaitingOne : msg.msgWaitingOther;
    return (form_ || "{n}").replace("{n}", String(n));
  }

  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el && typeof text === "string") el.textContent = text;
  }

  function showProgress(d) {
    var box = document.getElementById("q-progress");
    if (box && d.total) {
      var bar = box.querySelector(".q-bar");
      bar.querySelector(".q-bar-answered").style.width = (100 * d.answered / d.total).toFixed(2) + "%";
      bar.querySelector(".q-bar-dk").style.width = (100 * (d.dont_know || 0) / d.total).toFixed(2) + "%";
      bar.setAttribute("aria-valuenow", d.answered);
      var texts = d.texts || {};
      if (texts.summary) bar.setAttribute("aria-valuetext", texts.summary);
      setText(box, ".q-summary", texts.summary);
      setText(box, ".q-dk-text", texts.dont_know);
      setText(box, ".q-needed", texts.needed);
      box.classList.toggle("reached", d.needed === 0);
    }
    var item = document.querySelector('.q-pages li[data-page="' + d.page + '"]');
    if (item) {
      setText(item, ".q-page-answered", String(d.page_answered));
      setText(item, ".q-page-dk-n", String(d.page_dont_know || 0));
      var dk = item.querySelector(".q-page-dk");
      if (dk) dk.hidden = !d.page_dont_know;
      item.classList.toggle("done", !!d.page_done);
    }
  }

  function showAnswered(fs) {
    var checked = fs.querySelector("input[type=radio]:checked");
    fs.classList.toggle("answered", !!checked);
    var clear = fs.querySelector(".q-clear");
    if (clear) clear.hidden = !checked;
  }

  // --- sending -------------------------------------------------------------------------------------
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  var busy = false;
  var delay = 1000;
  var timer = null;

  function oldest(queue) {
    var ids = Object.keys(queue);
    ids.sort(function (a, b) { return queue[a].seq - queue[b].seq; });
    return ids.length ? queue[ids[0]] : null;
  }

  function send(entry) {
    var body = { question_id: entry.question_id };
    if ("value" in entry) body.value = entry.value;
    if ("comment" in entry) body.comment = entry.comment;
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (r) {
      if (r.type === "opaqueredirect") return { retry: true, login: true };  // the session has expired
      if (r.status >= 500 || r.status === 429 || r.status === 0) return { retry: true };
      return r.json().then(function (data) {
        return data && data.ok ? { data: data } : { error: (data && data.error) || "HTTP " + r.status };
      }, function () {
        return { error: "HTTP " + r.status };
      });
    }, function () {
      return { retry: true };  // no connection
    });
  }

  function pump() {
    if (busy) return;
    clearTimeout(timer);
    timer = null;
    var entry = oldest(load());
    if (!entry) { showWaiting(0); return; }
    busy = true;
    setStatus(entry.question_id, "saving");
    send(entry).then(function (result) {
      busy = false;
      if (result.retry) {
        setStatus(entry.question_id, result.login ? "login" : "retrying");
        timer = setTimeout(pump, delay);
        delay = Math.min(delay * 2, 30000);
        return;
      }
      delay = 1000;
      var queue = load();
      var current = queue[entry.question_id];
      if (current && current.seq === entry.seq) {  // not changed again meanwhile
        delete queue[entry.question_id];
        store(queue);
      }
      if (result.data) {
        everSaved = true;
        if (!queue[entry.question_id]) setStatus(entry.question_id, "saved");
        showProgress(result.data);
      } else {
        setStatus(entry.question_id, "failed", result.error);  // refused: retrying would not help
      }
      showWaiting(Object.keys(queue).length);
      pump();
    });
  }

  // --- events --------------------------------------------------------------------------------------
  var pauses = {};

  form.addEventListener("change", function (ev) {
    var target = ev.target;
    var fs = target.closest("fieldset[data-question]");
    if (!fs) return;
    var qid = fs.dataset.question;
    if (target.type === "radio") {
      enqueue(qid, { value: target.value });
      showAnswered(fs);
    } else if (target.tagName === "TEXTAREA") {  // the comment, when it loses the focus
      clearTimeout(pauses[qid]);
      enqueue(qid, { comment: target.value });
    } else {
      return;
    }
    pump();
  });

  form.addEventListener("input", function (ev) {
    var target = ev.target;
    if (target.tagName !== "TEXTAREA") return;
    var fs = target.closest("fieldset[data-question]");
    if (!fs) return;
    var qid = fs.dataset.question;
    enqueue(qid, { comment: target.value });  // kept at once, sent after a pause in the typing
    clearTimeout(pauses[qid]);
    pauses[qid] = setTimeout(pump, 1500);
  });

  form.addEventListener("click", function (ev) {
    var button = ev.target.closest(".q-clear");
    if (!button) return;
    var fs = button.closest("fieldset[data-question]");
    fs.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
    enqueue(fs.dataset.question, { value: "" });
    showAnswered(fs);
    pump();
  });

  window.addEventListener("online", pump);
  window.addEventListener("storage", function (ev) { if (ev.key === key) pump(); });

  // --- on load: show what is still waiting (newer than the page), then send it ---------------------
  var waiting = load();
  Object.keys(waiting).forEach(function (qid) {
    var entry = waiting[qid];
    var fs = fieldset(qid);
    if (!fs) return;
    if ("value" in entry) {
      fs.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === entry.value; });
    }
    if ("comment" in entry) {
      var area = fs.querySelector("textarea");
      if (area) {
        area.value = entry.comment;
        if (entry.comment) area.closest("details").open = true;
      }
    }
    setStatus(qid, "pending");
  });
  form.querySelectorAll("fieldset[data-question]").forEach(showAnswered);
  showWaiting(Object.keys(waiting).length);
  pump();
})();
