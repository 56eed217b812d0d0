// The post form's pictures: remind the writer, once, about a picture
// without a description (alt text). The first press of Post stops and says
// so; the second goes through as it is. Without script the form simply
// posts.
(function () {
  "use strict";

  function undescribed(form) {
    var missing = [];
    form.querySelectorAll(".compose-picture").forEach(function (row) {
      var file = row.querySelector("input[type=file]");
      var alt = row.querySelector("input[name=alt]");
      if (file && alt && file.files.length && !alt.value.trim()) {
        missing.push(alt);
      }
    });
    return missing;
  }

  document.querySelectorAll("form[data-alt-reminder]").forEach(function (form) {
    var reminded = false;
    form.addEventListener("submit", function (event) {
      if (reminded) { return; }
      var missing = undescribed(form);
      if (!missing.length) { return; }
      reminded = true;
      // Stopped here, before the page's double-submit guard sees it, so
      // the second press is not taken for a double click.
      event.preventDefault();
      event.stopPropagation();
      var note = form.querySelector(".alt-reminder");
      if (note) { note.hidden = false; }
      missing[0].focus();
    });
  });
})();
