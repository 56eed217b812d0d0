// The data export page: while an export is being prepared, poll its
// progress and move the bar; reload when it is ready or has failed, so the
// download link (or the failure) shows. Without script the page offers a
// "Refresh" link instead.
(function () {
  "use strict";

  var INTERVAL = 1500;

  function watch(item) {
    var url = item.getAttribute("data-export-progress");
    var bar = item.querySelector("progress");
    var percent = item.querySelector("[data-export-percent]");

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("export progress: " + response.status);
          }
          return response.json();
        })
        .then(function (state) {
          if (state.status !== "queued" && state.status !== "running") {
            window.location.reload();
            return;
          }
          if (bar) {
            bar.value = state.percent;
            bar.textContent = state.percent + "%";
          }
          if (percent) {
            percent.textContent = String(state.percent);
          }
          window.setTimeout(poll, INTERVAL);
        })
        .catch(function () {
          // Logged out, or the export is gone: stop; "Refresh" still works.
        });
    }

    window.setTimeout(poll, INTERVAL);
  }

  document.querySelectorAll("[data-export-progress]").forEach(watch);
})();
