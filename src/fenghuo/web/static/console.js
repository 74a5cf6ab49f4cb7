/* The console's behaviour (console_base.html): a file, not an inline <script>, so the
   Content-Security-Policy can say script-src 'self' (fenghuo.api.security_headers). */
(function () {
  "use strict";

  /* "Back" links (console_error.html): the previous page, or their href without history */
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
    });
  });

  /* The dashboard (console_dashboard.html) fetches its numbers every 30 seconds, no reload */
  var box = document.getElementById("dash"), stamp = document.getElementById("dash-updated");
  if (!box) return;
  var timer = null;
  function refresh() {
    return fetch("/web/dashboard/fragment", {credentials: "same-origin", cache: "no-store",
                                             headers: {"Accept": "text/html"}})
      .then(function (r) {
        if (r.status === 401) { clearInterval(timer); window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var fresh = tpl.content.querySelector("[data-updated]");
        box.replaceChildren(tpl.content);
        if (fresh && stamp) stamp.textContent = fresh.getAttribute("data-updated");
      })
      .catch(function () {});
  }
  window.fhRefresh = refresh;
  timer = setInterval(refresh, 30000);
})();

/* A searchable pick list (the incident's share recipients): an <input data-filter="LIST-ID">
   narrows the list's [data-names] rows to the names (zh or en) or keys containing what is
   typed; ticked rows stay. Without JavaScript the whole list shows. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter]").forEach(function (search) {
    var list = document.getElementById(search.getAttribute("data-filter"));
    var shown = document.getElementById(search.getAttribute("data-filter") + "-shown");
    if (!list) return;
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase(), n = 0;
      list.querySelectorAll("[data-names]").forEach(function (row) {
        var hit = !q || row.getAttribute("data-names").toLowerCase().indexOf(q) >= 0 ||
          (row.querySelector("input") || {}).checked;
        row.hidden = !hit;
        if (hit) n += 1;
      });
      if (shown) shown.textContent = String(n);
    });
  });
})();
