/* The settings page: minimum levels per channel, do-not-disturb (with the time it ends), quiet hours and the
   time zone, read with GET user-settings/ and saved one change at a time with PATCH. After each change the
   page says "Saved: ..." or shows the API's error; the control keeps the keyboard focus. */
(function () {
  "use strict";
  var root = document.getElementById("pn-settings");
  if (!root || !window.pnApi) return;
  var api = root.getAttribute("data-api");
  var $ = function (id) { return document.getElementById(id); };
  var status = $("settings-status"), errorBox = $("settings-error");
  var dnd = $("set-dnd"), dndEnd = $("set-dnd-end"), dndUntil = $("set-dnd-until");
  var quietStart = $("set-quiet-start"), quietEnd = $("set-quiet-end"), zone = $("set-timezone");
  var FIELD_NAMES = {
    timezone: "Time zone", web_min_level: "Tray level", email_min_level: "Email level", push_min_level: "Push level",
    do_not_disturb: "Do not disturb", quiet_hours_start: "Quiet hours start", quiet_hours_end: "Quiet hours end",
  };
  var current = {};

  function showError(message) { errorBox.textContent = message || ""; errorBox.hidden = !message; }

  function errorText(error) {
    var data = error && error.data;
    if (!data) return "Your change could not be saved. Please try again.";
    if (typeof data.error === "string") return data.error;
    return Object.keys(data).map(function (key) {
      return (FIELD_NAMES[key] || key) + ": " + [].concat(data[key]).join(" ");
    }).join("; ");
  }

  function untilText(settings) {
    if (!settings.do_not_disturb) return "Off.";
    if (!settings.do_not_disturb_until) return "On until you turn it off.";
    var options = { dateStyle: "full", timeStyle: "short" };
    var when;
    try { when = new Date(settings.do_not_disturb_until).toLocaleString(undefined, Object.assign({ timeZone: settings.timezone || "UTC", timeZoneName: "short" }, options)); }
    catch (e) { when = new Date(settings.do_not_disturb_until).toLocaleString(undefined, options); }
    return "On until " + when + ".";
  }

  function show(settings) {
    current = settings;
    ["web", "email", "push"].forEach(function (channel) { $("set-" + channel + "-level").value = settings[channel + "_min_level"]; });
    dnd.value = settings.do_not_disturb || "";
    dndUntil.textContent = untilText(settings);
    dndEnd.hidden = !settings.do_not_disturb;
    quietStart.value = settings.quiet_hours_start || "";
    quietEnd.value = settings.quiet_hours_end || "";
    zone.value = settings.timezone || "";
  }

  function save(body, what) {
    status.textContent = "Saving…";
    return window.pnApi.send("PATCH", api, body).then(function (settings) {
      showError("");
      show(settings);
      status.textContent = "Saved: " + what;
      return true;
    }).catch(function (error) {
      status.textContent = "";
      showError(errorText(error));
      show(current); // the page shows what is stored: nothing changed
      return false;
    });
  }

  Array.prototype.forEach.call(root.querySelectorAll("select[data-field]"), function (select) {
    select.addEventListener("change", function () {
      var body = {};
      body[select.getAttribute("data-field")] = select.value;
      save(body, select.getAttribute("data-what") + " " + select.options[select.selectedIndex].text);
    });
  });

  dnd.addEventListener("change", function () {
    var value = dnd.value || null;
    save({ do_not_disturb: value }, value ? "do not disturb on" : "do not disturb off");
  });
  dndEnd.addEventListener("click", function () {
    // The button hides itself; the keyboard focus goes to the do-not-disturb choice rather than the page.
    save({ do_not_disturb: null }, "do not disturb off").then(function () { dnd.focus(); });
  });

  $("set-quiet-save").addEventListener("click", function () {
    var start = quietStart.value || null, end = quietEnd.value || null;
    save({ quiet_hours_start: start, quiet_hours_end: end },
         start && end ? "quiet hours " + start + " to " + end : "no quiet hours");
  });
  $("set-quiet-off").addEventListener("click", function () {
    save({ quiet_hours_start: null, quiet_hours_end: null }, "no quiet hours");
  });

  function saveZone() {
    var value = zone.value.trim();
    if (value === (current.timezone || "")) return;
    save({ timezone: value }, "time zone " + (value || "UTC"));
  }
  $("set-timezone-save").addEventListener("click", saveZone);
  zone.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); saveZone(); } });

  window.pnApi.get(api).then(function (settings) {
    show(settings);
    root.removeAttribute("aria-busy");
  }).catch(function () {
    root.removeAttribute("aria-busy");
    showError("Your settings could not be loaded. Reload the page to try again.");
  });
})();
