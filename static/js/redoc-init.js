// Starts ReDoc on /api/redoc from the vendored standalone bundle.
(function () {
  "use strict";
  var root = document.getElementById("redoc");
  if (!root || !window.Redoc) {
    return;
  }
  window.Redoc.init(
    root.dataset.specUrl,
    {
      hideDownloadButton: false,
      expandResponses: "200,201",
      theme: { typography: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                             headings: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" } } },
    },
    root
  );
})();
