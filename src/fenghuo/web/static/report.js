/* The report form (console_report.html, issue 19 item 3): as the user types, the server grades
   the facts so far (POST /web/report/grade, the same grading the filed report gets, with the
   form's CSRF token) and this shows, next to each field, the thresholds it crosses, and the
   provisional grade with its reasons. Only text is inserted (textContent), never markup. A file,
   not an inline <script>: the Content-Security-Policy says script-src 'self'. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-grade-url]");
  if (!form) return;
  var url = form.getAttribute("data-grade-url");
  var timer = null, asked = 0;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function showFields(fields, errors) {
    form.querySelectorAll("[data-crossed]").forEach(function (out) {
      var name = out.getAttribute("data-crossed");
      var parts = [];
      if (errors[name]) parts.push(el("span", errors[name], "field-error"));
      (fields[name] || []).forEach(function (line) {
        parts.push(line.crossed ? el("mark", line.text) : el("span", line.text));
      });
      var children = [];
      parts.forEach(function (p, i) {
        if (i) children.push(el("br"));
        children.push(p);
      });
      out.replaceChildren.apply(out, children);
      var input = document.getElementById(name);
      if (input) {
        if (errors[name]) input.setAttribute("aria-invalid", "true");
        else if (!document.getElementById(name + "-error")) input.removeAttribute("aria-invalid");
      }
    });
  }

  function markThresholds(codes) {
    form.querySelectorAll("li[data-reason]").forEach(function (li) {
      var on = codes.indexOf(li.getAttribute("data-reason")) >= 0;
      var cur = li.firstElementChild;
      if (!cur || (cur.tagName === "MARK") === on) return;
      li.replaceChild(el(on ? "mark" : "span", cur.textContent), cur);
      if (on) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
    });
  }

  function show(data) {
    showFields(data.fields || {}, data.errors || {});
    if (!data.summary) return;  // a field's number is wrong: keep the last grade shown
    document.getElementById("provisional-grade").textContent = data.summary;
    document.getElementById("provisional-chip").className = "chip c-" + data.grade;
    document.getElementById("provisional-none").textContent = data.none || "";
    var items = (data.reasons || []).map(function (r) {
      var li = el("li");
      li.appendChild(el("strong", r.grade));
      li.appendChild(document.createTextNode(" — " + r.text + " "));
      li.appendChild(el("span", "(" + r.source + ")", "muted"));
      return li;
    });
    var list = document.getElementById("provisional-reasons");
    list.replaceChildren.apply(list, items);
    markThresholds(data.codes || []);
  }

  function ask() {
    var mine = ++asked;
    fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.status === 200 || r.status === 422 ? r.json() : null;
      })
      .then(function (data) {
        if (data && mine === asked) show(data);  // an older answer arriving late is dropped
      })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  ask();
})();
