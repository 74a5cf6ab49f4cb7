// The bulletin generation page: poll its status JSON, show the step, open the bulletin when it
// is stored (no inline script: the console's CSP allows scripts from this site only).
(function () {
  "use strict";
  var box = document.getElementById("bulletin-job");
  // a failed generation is shown as such; any other state asks (one done meanwhile opens)
  if (!box || box.dataset.state === "failed") { return; }
  var words = {};
  try { words = JSON.parse(box.dataset.words || "{}"); } catch (e) { words = {}; }
  var bar = document.getElementById("job-progress");
  var step = document.getElementById("job-step");
  // a generation another server process runs reads as running until its bulletin is stored;
  // stop asking after ten minutes (its failure is seen only there)
  var until = Date.now() + 10 * 60 * 1000;
  function poll() {
    if (Date.now() > until) { if (step) { step.textContent = words.gave_up || ""; } return; }
    fetch(box.dataset.status, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (bar && typeof s.step === "number") { bar.max = s.total; bar.value = s.step; }
        if (step && s.what) { step.textContent = words[s.what] || s.what; }
        if (s.state === "done" && s.url) { window.location.assign(s.url); return; }
        if (s.state === "failed") { window.location.reload(); return; }
        if (s.state === "running") { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
