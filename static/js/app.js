// Progressive enhancements; every page works without this file.
(function () {
  "use strict";

  var MINUTE = 60 * 1000;
  var HOUR = 60 * MINUTE;
  var DAY = 24 * HOUR;
  var fullFormat = { dateStyle: "full", timeStyle: "short" };
  var dateFormat = { year: "numeric", month: "long", day: "numeric" };
  var shortFormat = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  // Times are written in the page's language (<html lang>), which the
  // server chose, not in whatever language the browser itself runs in.
  var pageLanguage = document.documentElement.lang || undefined;
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(pageLanguage, { numeric: "auto", style: "short" })
    : null;
  // Strings a person reads come translated from the page (data- attributes).
  function text(el, name, fallback) {
    return (el && el.dataset[name]) || fallback;
  }

  function relativeText(when, now) {
    var diff = when.getTime() - now;
    var ago = -diff;
    if (!relative || ago < -MINUTE || ago >= 7 * DAY) { return null; }
    if (ago < MINUTE) { return text(document.body, "justNow", "just now"); }
    if (ago < HOUR) { return relative.format(-Math.floor(ago / MINUTE), "minute"); }
    if (ago < DAY) { return relative.format(-Math.floor(ago / HOUR), "hour"); }
    return relative.format(-Math.floor(ago / DAY), "day");
  }

  // Server-rendered times are UTC; show them in the reader's zone, recent
  // ones as "5 min. ago", always with the full local time on hover.
  function localiseTimes() {
    var now = Date.now();
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      var format = el.dataset.format;
      var text = null;
      if (format === "date") {
        text = when.toLocaleDateString(pageLanguage, dateFormat);
      } else {
        if (format === "relative") { text = relativeText(when, now); }
        text = text || when.toLocaleString(pageLanguage, shortFormat);
      }
      el.textContent = text;
      el.title = when.toLocaleString(pageLanguage, fullFormat);
    });
  }

  function themeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    var root = document.documentElement;
    var label = button.querySelector(".theme-label");
    function current() { return root.getAttribute("data-bs-theme") === "dark" ? "dark" : "light"; }
    function describe() {
      var toDark = current() !== "dark";
      var action = toDark
        ? text(button, "toDark", "Switch to dark theme")
        : text(button, "toLight", "Switch to light theme");
      button.setAttribute("aria-label", action);
      button.title = action;
      if (label) {
        label.textContent = toDark ? text(button, "darkName", "Dark theme") : text(button, "lightName", "Light theme");
      }
    }
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-bs-theme", next);
      try { localStorage.setItem("wren-theme", next); } catch (e) { /* storage disabled */ }
      describe();
    });
    // Follow the system setting live, until the reader picks a theme here.
    if (window.matchMedia) {
      var query = window.matchMedia("(prefers-color-scheme: dark)");
      var follow = function (event) {
        var stored = null;
        try { stored = localStorage.getItem("wren-theme"); } catch (e) { /* storage disabled */ }
        if (stored !== "light" && stored !== "dark") {
          root.setAttribute("data-bs-theme", event.matches ? "dark" : "light");
          describe();
        }
      };
      if (query.addEventListener) { query.addEventListener("change", follow); }
    }
    describe();
    button.hidden = false;
  }

  function characterCounters() {
    document.querySelectorAll("textarea[name=body]").forEach(function (area, index) {
      var max = parseInt(area.dataset.maxlength || area.getAttribute("maxlength") || "280", 10);
      var form = area.form || area.parentNode;
      var visible = form.querySelector(".char-counter");
      if (!visible) {
        visible = document.createElement("div");
        visible.className = "char-counter form-text";
        area.insertAdjacentElement("afterend", visible);
      }
      visible.id = visible.id || "char-counter-" + index;
      // The visible count changes on every key; screen readers get a calm,
      // debounced copy instead of one announcement per keystroke.
      visible.setAttribute("aria-live", "off");
      visible.setAttribute("aria-hidden", "true");
      var spoken = document.createElement("div");
      spoken.className = "visually-hidden";
      spoken.setAttribute("aria-live", "polite");
      spoken.id = visible.id + "-live";
      visible.insertAdjacentElement("afterend", spoken);
      var described = (area.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
        return id && id !== visible.id;
      });
      described.push(spoken.id);
      area.setAttribute("aria-describedby", described.join(" "));

      var timer = null;
      function update(announce) {
        var used = Array.from(area.value.trim()).length;
        var left = max - used;
        // Both languages so far have two plural forms, "one" and "other".
        var count = Math.abs(left);
        var key = (left >= 0 ? "left" : "over") + (count === 1 ? "One" : "Other");
        var fallback = left >= 0 ? "{n} characters left" : "{n} characters too many";
        var message = text(area, key, fallback).replace("{n}", count.toLocaleString(pageLanguage));
        visible.textContent = message;
        visible.classList.toggle("text-danger", left < 0);
        visible.classList.toggle("text-warning-emphasis", left >= 0 && left <= 20);
        visible.classList.toggle("text-body-secondary", left > 20);
        clearTimeout(timer);
        if (announce) {
          timer = setTimeout(function () { spoken.textContent = message; }, 700);
        }
      }
      area.addEventListener("input", function () { update(true); });
      update(false);
    });
  }

  // A second click on a slow submit would post twice; the server copes, but
  // the person should not see a duplicate.
  function guardDoubleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.dataset.submitting === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("disabled");
      });
    });
    // Coming back through the history cache must give working forms again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) { return; }
      document.querySelectorAll("form[data-submitting]").forEach(function (form) {
        delete form.dataset.submitting;
        form.querySelectorAll("[type=submit]").forEach(function (button) {
          button.removeAttribute("aria-disabled");
          button.classList.remove("disabled");
        });
      });
    });
  }

  // Like and unlike in place. Every card's like button submits the page's
  // one #like-form to its own formaction; without this script that is a
  // normal POST and a redirect back. With it, the server answers 204 to a
  // fetch that asks for JSON and the button and count change here.
  function likeButtons() {
    if (!window.fetch || !window.FormData) { return; }
    document.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.classList.contains("like-button")) { return; }
      event.preventDefault();
      event.stopPropagation();  // not a page load: no double-submit guard
      if (button.dataset.busy === "true") { return; }
      button.dataset.busy = "true";
      var form = event.target;
      var action = button.getAttribute("formaction");
      fetch(action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.status !== 204) { throw new Error("HTTP " + response.status); }
        var liked = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", liked ? "true" : "false");
        button.setAttribute("formaction", liked ? button.dataset.unlikeUrl : button.dataset.likeUrl);
        var row = button.closest(".post-actions");
        var count = row && row.querySelector(".like-count");
        if (count) {
          var number = count.querySelector(".like-number");
          // The shown number is localised ("1.234"); the plain one is kept beside it.
          var n = Math.max(0, parseInt(count.dataset.count || number.textContent, 10) + (liked ? 1 : -1));
          count.dataset.count = String(n);
          number.textContent = n.toLocaleString(pageLanguage);
          count.querySelector(".like-noun").textContent = n === 1
            ? text(count, "one", "like")
            : text(count, "other", "likes");
          count.hidden = n === 0;
        }
        delete button.dataset.busy;
      }).catch(function () {
        // Let the server say what went wrong (an expired form, a logout).
        delete button.dataset.busy;
        form.action = action;
        form.submit();
      });
    }, true);
  }

  // After a rejected submit, start where the first problem is: the field's
  // error is announced through aria-describedby when it gets focus.
  function focusFirstInvalid() {
    var invalid = document.querySelector("main [aria-invalid=true]");
    if (invalid && !(document.activeElement && document.activeElement.matches("[aria-invalid=true]"))) {
      invalid.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstInvalid();
    localiseTimes();
    setInterval(localiseTimes, MINUTE);
    themeToggle();
    characterCounters();
    likeButtons();
    guardDoubleSubmit();
  });
})();
