// Evidence by drag and drop on the incident page (issue 19): the file's SHA-256 is computed in
// the browser as it lands (crypto.subtle.digest), shown, the file is uploaded to the console's
// evidence endpoint (the plain form's), and the server's SHA-256 is shown beside it with
// whether the two match. Without this script the plain form still works.
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  var zone = document.getElementById("evidence-drop");
  var out = document.getElementById("evidence-hashes");
  if (!form || !zone || !out || !window.crypto || !window.crypto.subtle) { return; }
  var input = document.getElementById("evidence-file");
  zone.hidden = false;

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function show(id, text) { document.getElementById(id).textContent = text; }

  function handle(file) {
    out.hidden = false;
    show("evidence-name", file.name);
    show("evidence-local-sha", out.dataset.computing);
    show("evidence-server-sha", "");
    show("evidence-verdict", "");
    file.arrayBuffer().then(function (data) {
      return crypto.subtle.digest("SHA-256", data);
    }).then(function (digest) {
      var local = hex(digest);
      show("evidence-local-sha", local);
      var body = new FormData();
      body.append("csrf", form.querySelector("input[name=csrf]").value);
      body.append("file", file, file.name);
      return fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (!res[0]) {
            var e = res[1].errors ? Object.values(res[1].errors).join("; ") : res[1].error;
            show("evidence-verdict", out.dataset.failed + " " + (e || ""));
            return;
          }
          show("evidence-server-sha", res[1].sha256);
          var same = res[1].sha256 === local;
          show("evidence-verdict", same ? out.dataset.match : out.dataset.mismatch);
          out.classList.toggle("cw-mismatch", !same);
        });
    }).catch(function () { show("evidence-verdict", out.dataset.failed); });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (ev) {
    ev.preventDefault();
    if (ev.dataTransfer && ev.dataTransfer.files.length) { handle(ev.dataTransfer.files[0]); }
  });
  form.addEventListener("submit", function (ev) {
    if (input.files.length) { ev.preventDefault(); handle(input.files[0]); }
  });
})();
