/* The preferences matrix of the account settings page: one table per app, a row per type (the app's bundled
   types as one row), columns web, email, push and email cadence. Drawn from GET v3/configurations/; every
   change is one PUT with X-CSRFToken, followed by a visible "Saved: ..." (or the error) while the control
   keeps the keyboard focus. Channels the configuration locks are shown disabled. Rows are named by the
   configuration's display names (``info``), never by raw type names. */
(function () {
  "use strict";
  var root = document.getElementById("pn-preferences");
  if (!root || !window.pnApi) return;
  var api = root.getAttribute("data-api");
  var status = document.getElementById("pn-pref-status");
  var errorBox = document.getElementById("pn-pref-error");
  var CADENCES = ["Immediately", "Daily", "Weekly", "Never"];
  var BUNDLED = "grouped_notification";

  function humanise(name) {
    var words = name.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  // The configuration's display name of the type (its ``info``); the bundled row stands for the app's activity.
  var names = {};
  function rowLabel(app, type) {
    if (type === BUNDLED) return "All other " + app + " activity";
    return names[app + "/" + type] || humanise(type);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function showError(message) { errorBox.textContent = message || ""; errorBox.hidden = !message; }

  function errorText(error) {
    var message = error && error.data && error.data.message;
    if (!message) return "Your change could not be saved. Please try again.";
    if (typeof message === "string") return message;
    return Object.keys(message).map(function (key) { return key + ": " + [].concat(message[key]).join(" "); }).join("; ");
  }

  function save(body, what, control, previous) {
    // Busy, not disabled: disabling the focused control would send the keyboard focus back to the page.
    control.setAttribute("aria-busy", "true");
    status.textContent = "Saving…";
    return window.pnApi.send("PUT", api, body).then(function (data) {
      showError("");
      status.textContent = "Saved: " + what;
      return data && data.data ? data.data.updated_value : undefined;
    }).catch(function (error) {
      previous();
      status.textContent = "";
      showError(errorText(error));
    }).then(function (value) { control.removeAttribute("aria-busy"); return value; });
  }

  function render(data) {
    root.textContent = "";
    if (!data.show_preferences) {
      root.appendChild(el("p", {}, "Notification preferences are not available for your account."));
      return;
    }
    var channels = ["web", "email", "push"].filter(function (c) { return c !== "email" || data.show_email_preferences; });
    Object.keys(data.data || {}).forEach(function (app) {
      var appData = data.data[app];
      var section = el("section", { "class": "card pref-app", "aria-labelledby": "pref-" + app });
      section.appendChild(el("h2", { id: "pref-" + app }, humanise(app)));
      if (!appData.enabled) { section.appendChild(el("p", { "class": "muted" }, "Turned off for this platform.")); }
      var table = el("table", { "class": "table matrix" });
      table.appendChild(el("caption", { "class": "visually-hidden" }, humanise(app) + " notification preferences"));
      var head = el("tr");
      head.appendChild(el("th", { scope: "col" }, "Notification"));
      channels.forEach(function (c) { head.appendChild(el("th", { scope: "col" }, humanise(c))); });
      if (data.show_email_preferences) head.appendChild(el("th", { scope: "col" }, "Cadence"));
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      var locked = appData.non_editable || {};
      Object.keys(appData.notification_types || {}).forEach(function (type) {
        var prefs = appData.notification_types[type], lockedHere = locked[type] || [];
        if (type !== BUNDLED && prefs.info) names[app + "/" + type] = prefs.info;
        var tr = el("tr", { "data-type": type });
        var th = el("th", { scope: "row" });
        th.appendChild(el("span", { "class": "pref-name" }, rowLabel(app, type)));
        if (type === BUNDLED && prefs.info) th.appendChild(el("span", { "class": "pref-info" }, prefs.info));
        tr.appendChild(th);
        var cadence = null;
        channels.forEach(function (channel) {
          var td = el("td");
          var id = "pref-" + app + "-" + type + "-" + channel;
          var box = el("input", { type: "checkbox", role: "switch", id: id, "data-channel": channel });
          box.checked = !!prefs[channel];
          box.setAttribute("aria-label", humanise(channel) + " for " + rowLabel(app, type));
          var isLocked = lockedHere.indexOf(channel) >= 0 || !appData.enabled;
          if (isLocked) { box.disabled = true; box.dataset.locked = "true"; box.title = "Set by the platform"; }
          box.addEventListener("change", function () {
            var value = box.checked;
            save({ notification_app: app, notification_type: type, notification_channel: channel, value: value },
                 humanise(channel) + " " + (value ? "on" : "off") + " for " + rowLabel(app, type), box,
                 function () { box.checked = !value; })
              .then(function (updated) {
                if (typeof updated === "boolean") box.checked = updated;
                if (channel === "email" && cadence && !cadence.dataset.locked) cadence.disabled = !box.checked;
              });
          });
          td.appendChild(box);
          tr.appendChild(td);
        });
        if (data.show_email_preferences) {
          var td = el("td");
          cadence = el("select", { id: "pref-" + app + "-" + type + "-cadence", "data-channel": "email_cadence" });
          cadence.setAttribute("aria-label", "Email cadence for " + rowLabel(app, type));
          if (document.getElementById("pn-cadence-help")) cadence.setAttribute("aria-describedby", "pn-cadence-help");
          CADENCES.forEach(function (c) { cadence.appendChild(el("option", { value: c }, c)); });
          cadence.value = prefs.email_cadence;
          if (lockedHere.indexOf("email") >= 0 || !appData.enabled) { cadence.disabled = true; cadence.dataset.locked = "true"; }
          else cadence.disabled = !prefs.email;
          var select = cadence, before = prefs.email_cadence;
          select.addEventListener("change", function () {
            var value = select.value;
            save({ notification_app: app, notification_type: type, notification_channel: "email_cadence",
                   email_cadence: value }, "email cadence " + value + " for " + rowLabel(app, type), select,
                 function () { select.value = before; })
              .then(function (updated) {
                if (typeof updated === "string") { select.value = updated; before = updated; }
                if (select.dataset.locked !== "true") {
                  var email = tr.querySelector('input[data-channel="email"]');
                  select.disabled = email ? !email.checked : false;
                }
              });
          });
          td.appendChild(cadence);
          tr.appendChild(td);
        }
        body.appendChild(tr);
      });
      section.appendChild(table);
      root.appendChild(section);
    });
  }

  window.pnApi.get(api).then(function (data) {
    render(data);
    root.removeAttribute("aria-busy");
  }).catch(function () {
    root.textContent = "";
    root.removeAttribute("aria-busy");
    showError("Your preferences could not be loaded. Reload the page to try again.");
  });
})();
