/**
 * The page script, served from /static/app.js (behind sign-in; CSP allows
 * only same-origin scripts). It keeps progress bars of running jobs live by
 * polling the JSON API, and reloads the page when a job it shows changes state.
 *
 * @module
 */

export const SCRIPT = `
(function () {
  var bars = document.querySelectorAll("[data-job-progress]");
  if (!bars.length) return;
  function tick() {
    bars.forEach(function (bar) {
      fetch("/api/jobs/" + encodeURIComponent(bar.getAttribute("data-job-progress")), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) return;
          // The page shows the job as it was; when its state moves on, show the new one.
          if (job.status !== bar.getAttribute("data-status")) { location.reload(); return; }
          var label = document.getElementById(bar.id + "-label");
          if (job.progress && label) label.textContent = job.progress.phase + ": " + job.progress.rows.toLocaleString() + " rows" + (job.progress.changed ? ", " + job.progress.changed.toLocaleString() + " changed" : "");
          if (job.progress && job.progress.fraction != null) bar.value = job.progress.fraction;
        })
        .catch(function () {});
    });
  }
  setInterval(tick, 1500);
})();
`;
