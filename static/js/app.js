// Progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function localiseTimes() {
    var dateOnly = { year: "numeric", month: "long", day: "numeric" };
    var full = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      var opts = el.dataset.format === "date" ? dateOnly : full;
      el.textContent = when.toLocaleString(undefined, opts);
      el.title = when.toLocaleString();
    });
  }

  function themeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    var root = document.documentElement;
    function label() {
      var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
      button.setAttribute("aria-label", "Switch to " + next + " theme");
      button.querySelector(".theme-label").textContent = next === "dark" ? "Dark theme" : "Light theme";
    }
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-bs-theme", next);
      try { localStorage.setItem("wren-theme", next); } catch (e) { /* private mode */ }
      label();
    });
    label();
  }

  document.addEventListener("DOMContentLoaded", function () {
    localiseTimes();
    themeToggle();
  });
})();
