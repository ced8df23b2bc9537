/* The notification bell and tray. Live over GET stream/ (server-sent events) where the server streams, else
   polls GET count/ every few seconds (no reload); shows an "All" tab and then a tab per app (from count_by_app_name), opens on "All" (the newest activity first), lists
   notifications newest first with unread markers, marks one read on click and all read on request, loads
   more pages, marks the open tab seen, offers mute and unmute of each item's thread, and keeps the unseen
   count in the page title. Keyboard: arrow keys move between tabs and between items, Escape closes and
   returns focus to the bell. */
(function () {
  "use strict";
  var root = document.getElementById("pn-bell");
  if (!root || !window.pnApi) return;
  var api = root.getAttribute("data-api");
  var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 3000;
  var $ = function (id) { return document.getElementById(id); };
  var bell = $("pn-bell-button"), badge = $("pn-badge"), live = $("pn-live"), tray = $("pn-tray");
  var tabs = $("pn-tabs"), panel = $("pn-panel"), list = $("pn-list"), empty = $("pn-empty");
  var more = $("pn-more"), markAll = $("pn-mark-all"), errorBox = $("pn-error");
  var state = { counts: {}, total: null, active: null, page: 0, hasNext: false, open: false };
  var pending = Promise.resolve(); // the list load in flight; focus moves wait for it
  var ALL = "all"; // the tab of every app (not an app name: app names are sent back to the API)

  function label(app) { return app === ALL ? "All" : app.charAt(0).toUpperCase() + app.slice(1); }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  // ---- counts ---------------------------------------------------------------------------------
  function setCount(total) {
    badge.textContent = total > 99 ? "99+" : String(total);
    badge.hidden = total === 0;
    bell.setAttribute("aria-label", "Notifications, " + plural(total, "new notification"));
    if (total !== state.total) live.textContent = plural(total, "new notification");
    state.total = total;
    showCountInTitle(total);
  }

  function refreshCount() {
    return window.pnApi.get(api + "count/").then(applyCounts)
      .catch(function () { /* keep the last known count; the next poll retries */ });
  }

  // The body of count/, polled or pushed by the stream's "counts" event.
  function applyCounts(data) {
    if (!data || !data.show_notifications_tray) { root.hidden = true; close(false); return; }
    root.hidden = false;
    var previous = state.counts;
    state.counts = data.count_by_app_name || {};
    setCount(data.count || 0);
    renderTabs();
    // New activity in the tab being looked at: show it straight away.
    if (state.open && state.active && grewIn(state.active, previous)) {
      loadList(true).then(function () { markSeen(state.active); });
    }
  }

  // ---- tabs -----------------------------------------------------------------------------------
  function renderTabs() {
    var apps = tabNames();
    if (!state.active || apps.indexOf(state.active) < 0) state.active = apps[0] || null;
    var existing = Array.prototype.map.call(tabs.children, function (tab) { return tab.dataset.app; });
    if (existing.join() !== apps.join()) {
      tabs.textContent = "";
      apps.forEach(function (app) {
        var tab = document.createElement("button");
        tab.type = "button";
        tab.id = "pn-tab-" + app;
        tab.dataset.app = app;
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-controls", "pn-panel");
        tab.appendChild(document.createTextNode(label(app)));
        var count = document.createElement("span");
        count.className = "pn-tab-count";
        tab.appendChild(count);
        tab.addEventListener("click", function () { selectTab(app, false); });
        tabs.appendChild(tab);
      });
    }
    Array.prototype.forEach.call(tabs.children, function (tab) {
      var app = tab.dataset.app, n = tabCount(app), selected = app === state.active;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      var count = tab.querySelector(".pn-tab-count");
      count.textContent = n ? String(n) : "";
      count.hidden = !n;
      tab.setAttribute("aria-label", label(app) + (n ? ", " + n + " new" : ""));
    });
    if (state.active) panel.setAttribute("aria-labelledby", "pn-tab-" + state.active);
  }

  function selectTab(app, focus) {
    var changed = app !== state.active;
    state.active = app;
    renderTabs();
    if (focus) $("pn-tab-" + app).focus();
    if (changed || !list.children.length) loadList(true).then(function () { markSeen(app); });
  }

  tabs.addEventListener("keydown", function (event) {
    var apps = tabNames(), index = apps.indexOf(state.active), next = null;
    if (event.key === "ArrowRight") next = apps[(index + 1) % apps.length];
    else if (event.key === "ArrowLeft") next = apps[(index - 1 + apps.length) % apps.length];
    else if (event.key === "Home") next = apps[0];
    else if (event.key === "End") next = apps[apps.length - 1];
    else if (event.key === "ArrowDown") { pending.then(function () { focusItem(0); }); event.preventDefault(); return; }
    if (next) { event.preventDefault(); selectTab(next, true); }
  });

  // ---- list -----------------------------------------------------------------------------------
  function when(iso) {
    var date = new Date(iso), seconds = Math.round((date - Date.now()) / 1000);
    var rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    var steps = [[60, "second"], [60, "minute"], [24, "hour"], [7, "day"], [Infinity, "week"]];
    var value = seconds;
    for (var i = 0; i < steps.length; i++) {
      if (Math.abs(value) < steps[i][0]) return rtf.format(value, steps[i][1]);
      value = Math.round(value / steps[i][0]);
    }
    return date.toLocaleString();
  }

  function renderItem(item) {
    var li = document.createElement("li");
    li.className = "pn-item" + (item.last_read ? "" : " unread");
    li.dataset.id = item.id;
    var link = document.createElement("a");
    link.className = "pn-item-link";
    var href = window.pnSafeHref(item.content_url || "");
    link.href = href || "#";
    var marker = document.createElement("span");
    marker.className = "pn-marker";
    marker.setAttribute("aria-hidden", "true");
    link.appendChild(marker);
    var status = document.createElement("span");
    status.className = "visually-hidden pn-status";
    status.textContent = item.last_read ? "" : "Unread: ";
    link.appendChild(status);
    var content = document.createElement("span");
    content.className = "pn-content";
    content.appendChild(window.pnSanitize(item.content, { links: false }));
    link.appendChild(content);
    var meta = document.createElement("span");
    meta.className = "pn-meta";
    var course = item.content_context && item.content_context.course_name;
    var time = document.createElement("time");
    time.dateTime = item.created;
    time.title = new Date(item.created).toLocaleString();
    time.textContent = when(item.created);
    if (state.active === ALL) meta.appendChild(document.createTextNode(label(item.app_name) + " · "));
    if (course) meta.appendChild(document.createTextNode(course + " · "));
    if (item.level && item.level !== "info") {
      var level = document.createElement("span");
      level.className = "pn-level pn-level-" + item.level;
      level.textContent = item.level === "error" ? "Error" : "Warning";
      meta.appendChild(level);
      meta.appendChild(document.createTextNode(" · "));
    }
    if (item.occurrences > 1) meta.appendChild(document.createTextNode(item.occurrences + " occurrences · "));
    meta.appendChild(time);
    link.appendChild(meta);
    link.addEventListener("click", function (event) {
      if (!li.classList.contains("unread")) { if (!href) event.preventDefault(); return; }
      event.preventDefault();
      markRead(item.id, li).then(function () { if (href) window.location.assign(href); });
    });
    li.appendChild(link);
    // Action chips: links of their own beside the item (a link cannot hold links).
    var chips = (item.links || []).filter(function (chip) { return window.pnSafeHref(chip.url || ""); });
    if (chips.length) {
      var bar = document.createElement("span");
      bar.className = "pn-chips";
      chips.forEach(function (chip) {
        var a = document.createElement("a");
        a.className = "pn-chip";
        a.href = window.pnSafeHref(chip.url);
        a.textContent = chip.label;
        bar.appendChild(a);
      });
      li.appendChild(bar);
    }
    if (item.threaded) li.appendChild(muteButton(item, li));
    return li;
  }

  function loadList(reset) {
    if (!state.active) return Promise.resolve();
    var app = state.active, page = reset ? 1 : state.page + 1;
    var url = api + "?app_name=" + (app === ALL ? "" : encodeURIComponent(app)) + "&page=" + page +
      "&page_size=10&tray_opened=true";
    panel.setAttribute("aria-busy", "true");
    pending = window.pnApi.get(url).then(function (data) {
      if (app !== state.active) return; // the user switched tabs meanwhile
      if (reset) list.textContent = "";
      (data.results || []).forEach(function (item) { list.appendChild(renderItem(item)); });
      state.page = data.current_page || page;
      state.hasNext = !!data.next;
      more.hidden = !state.hasNext;
      empty.hidden = list.children.length > 0;
      showError("");
    }).catch(function () {
      showError("Notifications could not be loaded. Try again in a moment.");
    }).then(function () { panel.removeAttribute("aria-busy"); });
    return pending;
  }

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".pn-item-link")); }
  function focusItem(index) { var all = items(); if (all.length) all[Math.max(0, Math.min(index, all.length - 1))].focus(); }

  list.addEventListener("keydown", function (event) {
    var all = items(), index = all.indexOf(document.activeElement);
    if (index < 0) return;
    if (event.key === "ArrowDown") { event.preventDefault(); focusItem(index + 1); }
    else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index === 0) $("pn-tab-" + state.active).focus(); else focusItem(index - 1);
    }
    else if (event.key === "Home") { event.preventDefault(); focusItem(0); }
    else if (event.key === "End") { event.preventDefault(); focusItem(all.length - 1); }
  });

  function setRead(li) {
    li.classList.remove("unread");
    var status = li.querySelector(".pn-status");
    if (status) status.textContent = "";
  }
  function setUnread(li) {
    li.classList.add("unread");
    var status = li.querySelector(".pn-status");
    if (status) status.textContent = "Unread: ";
  }

  function markRead(id, li) {
    return window.pnApi.send("PATCH", api + "read/", { notification_id: id }).then(function () {
      setRead(li);
      return refreshCount();
    }).catch(function () { showError("That notification could not be marked as read."); });
  }

  function markSeen(app) {
    if (app === ALL) return markAllSeen();
    if (!app || !(state.counts[app] > 0)) return Promise.resolve();
    return window.pnApi.send("PUT", api + "mark-seen/" + encodeURIComponent(app) + "/").then(refreshCount)
      .catch(function () { /* seen is cosmetic; the next open retries */ });
  }

  markAll.addEventListener("click", function () {
    if (!state.active) return;
    var request = state.active === ALL ? window.pnApi.send("PATCH", api + "read-all/")
      : window.pnApi.send("PATCH", api + "read/", { app_name: state.active });
    request.then(function () {
      Array.prototype.forEach.call(list.querySelectorAll(".pn-item.unread"), setRead);
      live.textContent = state.active === ALL ? "All notifications marked as read"
        : "All " + label(state.active) + " notifications marked as read";
      return refreshCount();
    }).catch(function () { showError("Could not mark all as read."); });
  });

  more.addEventListener("click", function () {
    var next = items().length;
    loadList(false).then(function () { focusItem(next); });
  });

  // ---- open / close ---------------------------------------------------------------------------
  function open() {
    state.open = true;
    tray.hidden = false;
    bell.setAttribute("aria-expanded", "true");
    state.active = ALL; // the newest activity of every app, so never an empty tab while anything is there
    renderTabs();
    if (state.active) {
      loadList(true).then(function () { markSeen(state.active); });
      $("pn-tab-" + state.active).focus();
    } else {
      panel.focus();
    }
  }

  function close(returnFocus) {
    if (!state.open) return;
    state.open = false;
    tray.hidden = true;
    bell.setAttribute("aria-expanded", "false");
    if (returnFocus) bell.focus();
  }

  bell.addEventListener("click", function () { if (state.open) close(true); else open(); });
  $("pn-close").addEventListener("click", function () { close(true); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.open) { event.preventDefault(); close(true); }
  });
  document.addEventListener("click", function (event) {
    if (state.open && !root.contains(event.target)) close(false);
  });

  // ---- the "All" tab, the title count, muting a thread ------------------------------------------
  function tabNames() { return [ALL].concat(Object.keys(state.counts)); }

  function tabCount(app) {
    if (app !== ALL) return state.counts[app] || 0;
    return Object.keys(state.counts).reduce(function (sum, name) { return sum + (state.counts[name] || 0); }, 0);
  }

  function grewIn(app, previous) {
    if (app !== ALL) return (state.counts[app] || 0) > (previous[app] || 0);
    return Object.keys(state.counts).some(function (name) { return (state.counts[name] || 0) > (previous[name] || 0); });
  }

  function markAllSeen() {
    // Seen is per app in the API: one call per app that has unseen rows.
    var apps = Object.keys(state.counts).filter(function (name) { return state.counts[name] > 0; });
    if (!apps.length) return Promise.resolve();
    return Promise.all(apps.map(function (name) {
      return window.pnApi.send("PUT", api + "mark-seen/" + encodeURIComponent(name) + "/");
    })).then(refreshCount).catch(function () { /* seen is cosmetic; the next open retries */ });
  }

  function showCountInTitle(total) {
    var bare = document.title.replace(/^\(\d+\+?\) /, "");
    document.title = total > 0 ? "(" + (total > 99 ? "99+" : total) + ") " + bare : bare;
  }

  function mutedTag() {
    var tag = document.createElement("span");
    tag.className = "pn-muted-tag";
    tag.textContent = " · Muted";
    return tag;
  }

  function muteButton(item, li) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button pn-mute";
    var muted = !!item.muted;
    function show() {
      button.textContent = muted ? "Unmute this thread" : "Mute this thread";
      button.setAttribute("aria-pressed", muted ? "true" : "false");
      var tag = li.querySelector(".pn-muted-tag");
      if (muted && !tag) li.querySelector(".pn-meta").appendChild(mutedTag());
      if (!muted && tag) tag.parentNode.removeChild(tag);
    }
    button.addEventListener("click", function () {
      // The button stays where it is and keeps the focus; only its text and state change.
      var path = api + item.id + (muted ? "/unmute/" : "/mute/");
      window.pnApi.send("POST", path, muted ? undefined : { duration: "forever" }).then(function (data) {
        muted = !!(data && data.muted);
        show();
        live.textContent = muted ? "Thread muted: its new activity will not be counted or sent to you"
          : "Thread unmuted";
        return refreshCount();
      }).catch(function () { showError(muted ? "Could not unmute that thread." : "Could not mute that thread."); });
    });
    show();
    return button;
  }

  // ---- live updates ----------------------------------------------------------------------------
  // Under an ASGI server the stream pushes the counts, new notifications and changes made in other tabs.
  // Under WSGI it answers 204, the EventSource closes, and the tray polls count/ as before; while the
  // stream reconnects after an error (resuming with Last-Event-ID), the tray polls too.
  var poller = null;
  function startPolling() { if (!poller) poller = window.setInterval(refreshCount, pollMs); }
  function stopPolling() { if (poller) { window.clearInterval(poller); poller = null; } }
  function rowsOf(data) {
    if (data.ids) return data.ids.map(function (id) { return list.querySelector('.pn-item[data-id="' + id + '"]'); });
    if (data.app_name && state.active !== ALL && data.app_name !== state.active) return [];
    return Array.prototype.slice.call(list.querySelectorAll(".pn-item"));
  }
  function listen() {
    if (!window.EventSource) { refreshCount(); startPolling(); return; }
    var source = new EventSource(api + "stream/");
    source.addEventListener("counts", function (event) { stopPolling(); applyCounts(JSON.parse(event.data)); });
    source.addEventListener("notification", function (event) {
      var item = JSON.parse(event.data);
      var old = list.querySelector('.pn-item[data-id="' + item.id + '"]');
      if (old) old.parentNode.replaceChild(renderItem(item), old);
      else if (state.open && (state.active === ALL || item.app_name === state.active)) list.insertBefore(renderItem(item), list.firstChild);
      empty.hidden = list.children.length > 0;
    });
    source.addEventListener("read", function (event) {
      rowsOf(JSON.parse(event.data)).forEach(function (li) { if (li) setRead(li); });
    });
    source.addEventListener("unread", function (event) {
      rowsOf(JSON.parse(event.data)).forEach(function (li) { if (li) setUnread(li); });
    });
    ["archived", "removed"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        rowsOf(JSON.parse(event.data)).forEach(function (li) { if (li) li.parentNode.removeChild(li); });
        empty.hidden = list.children.length > 0;
      });
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) refreshCount(); // 204: no stream here
      startPolling();
    };
  }
  listen();
})();
