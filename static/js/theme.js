// Runs in <head>: apply the stored or system colour theme before first paint.
(function () {
  "use strict";
  var stored = null;
  try { stored = localStorage.getItem("wren-theme"); } catch (e) { /* private mode */ }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var theme = stored === "light" || stored === "dark" ? stored : (dark ? "dark" : "light");
  document.documentElement.setAttribute("data-bs-theme", theme);
})();
