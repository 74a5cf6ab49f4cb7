/* The warning pages' behaviour (console_warning.html, console_warning_form.html): a file, not an
   inline <script>, so the Content-Security-Policy can say script-src 'self'. Without it the pages
   still work: the confirmation is a page of its own, the region list is unfiltered and a body
   box takes a key or an exact name. */
(function () {
  "use strict";

  /* Publish and lift ask for confirmation in a <dialog> naming who will be notified */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var dialog = document.getElementById(form.getAttribute("data-confirm"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var typed = form.querySelector("[name=reason]");
      dialog.querySelectorAll("[data-reason]").forEach(function (input) {
        input.value = typed ? typed.value : "";
      });
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-close]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
  });

  /* The region picker: the list narrows to the names (zh or en) containing what is typed */
  var search = document.getElementById("region-search");
  if (search) {
    var shown = document.getElementById("region-shown");
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase(), n = 0;
      document.querySelectorAll("#region-list [data-names]").forEach(function (row) {
        var hit = !q || row.getAttribute("data-names").toLowerCase().indexOf(q) >= 0 ||
          (row.querySelector("input") || {}).checked;
        row.hidden = !hit;
        if (hit) n += 1;
      });
      if (shown) shown.textContent = String(n);
    });
  }

  /* Body search boxes: <input list> filled from /web/directory/search.json (the caller's scope);
     the form still posts the body's key */
  document.querySelectorAll("input[data-body-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list")), timer = null;
    if (!list) return;
    var en = document.documentElement.lang === "en";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1) return;
      timer = setTimeout(function () {
        fetch("/web/directory/search.json?q=" + encodeURIComponent(q),
              {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.replaceChildren();
            found.forEach(function (b) {
              var o = document.createElement("option");
              o.value = b.key;
              o.textContent = en ? b.name_en : b.name_zh;
              list.appendChild(o);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });
})();
