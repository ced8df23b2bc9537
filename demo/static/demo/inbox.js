/* The notifications page: lists the signed-in user's notifications from the list API with the filter form's
   values (search, app, kind, level, read state, archived), pages through them, and applies "Mark read",
   "Mark unread" and "Archive" (or "Move back to inbox") to the selected ones in one POST bulk/ call. */
(function () {
  "use strict";
  var root = document.getElementById("pn-inbox");
  if (!root || !window.pnApi) return;
  var api = root.getAttribute("data-api");
  var pageSize = parseInt(root.getAttribute("data-page-size"), 10) || 20;
  var labels = JSON.parse(document.getElementById("pn-labels").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var list = $("inbox-list"), empty = $("inbox-empty"), status = $("inbox-status"), errorBox = $("inbox-error");
  var summary = $("inbox-summary"), pages = $("inbox-pages"), selectAll = $("inbox-select-all");
  var FILTERS = ["q", "app_name", "kind", "level", "unread", "archived"];
  var DONE = { read: "marked read", unread: "marked unread", archive: "archived", unarchive: "moved back to the inbox" };

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function showError(message) { errorBox.textContent = message || ""; errorBox.hidden = !message; }
  function errorText(error, fallback) { return (error && error.data && error.data.error) || fallback; }

  function params() { return new URLSearchParams(window.location.search); }

  function apiUrl() {
    var query = new URLSearchParams(), current = params();
    FILTERS.forEach(function (name) { var value = current.get(name); if (value) query.set(name, value); });
    query.set("page", current.get("page") || "1");
    query.set("page_size", String(pageSize));
    return api + "?" + query.toString();
  }

  function pageHref(page) {
    var query = params();
    query.set("page", String(page));
    return "?" + query.toString();
  }

  function when(iso) {
    var date = new Date(iso);
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function renderItem(item) {
    var li = document.createElement("li");
    li.className = "inbox-item" + (item.last_read ? "" : " unread");
    li.dataset.id = item.id;
    var content = window.pnSanitize(item.content, { links: false });
    // Paragraphs joined by spaces (textContent would run "Title" and "Body" together).
    var text = Array.prototype.map.call(content.childNodes, function (node) { return (node.textContent || "").trim(); })
      .filter(Boolean).join(" ");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "inbox-select";
    box.value = item.id;
    box.setAttribute("aria-label", "Select: " + text);
    li.appendChild(box);
    var body = document.createElement("div");
    body.className = "inbox-body";
    var link = document.createElement("a");
    link.className = "inbox-link";
    // open/ marks it read and follows its link (the same path the emails use).
    link.href = api + item.id + "/open/";
    if (!item.last_read) {
      var unread = document.createElement("span");
      unread.className = "visually-hidden";
      unread.textContent = "Unread: ";
      link.appendChild(unread);
    }
    link.appendChild(content);
    body.appendChild(link);
    var meta = document.createElement("p");
    meta.className = "inbox-meta";
    var parts = [labels.apps[item.app_name] || item.app_name, labels.kinds[item.kind] || ""];
    parts.filter(Boolean).forEach(function (part) {
      var span = document.createElement("span");
      span.textContent = part;
      meta.appendChild(span);
    });
    if (item.level && item.level !== "info") {
      var level = document.createElement("span");
      level.className = "pn-level pn-level-" + item.level;
      level.textContent = item.level === "error" ? "Error" : "Warning";
      meta.appendChild(level);
    }
    if (!item.last_read) {
      var tag = document.createElement("span");
      tag.className = "inbox-unread";
      tag.textContent = "Unread";
      tag.setAttribute("aria-hidden", "true");
      meta.appendChild(tag);
    }
    if (item.muted) {
      var muted = document.createElement("span");
      muted.textContent = "Muted";
      meta.appendChild(muted);
    }
    var time = document.createElement("time");
    time.dateTime = item.created;
    time.textContent = when(item.created);
    meta.appendChild(time);
    body.appendChild(meta);
    li.appendChild(body);
    return li;
  }

  function renderPages(data) {
    var current = data.current_page || 1, total = data.num_pages || 1;
    pages.hidden = total <= 1;
    $("inbox-page").textContent = "Page " + current + " of " + total;
    [["inbox-prev", data.previous, current - 1], ["inbox-next", data.next, current + 1]].forEach(function (entry) {
      var link = $(entry[0]);
      if (entry[1]) { link.href = pageHref(entry[2]); link.removeAttribute("aria-disabled"); link.hidden = false; }
      else { link.removeAttribute("href"); link.hidden = true; }
    });
  }

  function load() {
    root.setAttribute("aria-busy", "true");
    return window.pnApi.get(apiUrl()).then(function (data) {
      list.textContent = "";
      (data.results || []).forEach(function (item) { list.appendChild(renderItem(item)); });
      empty.hidden = list.children.length > 0;
      summary.textContent = data.count ? plural(data.count, "notification") + (data.count > pageSize ? ", " + pageSize + " a page" : "") : "";
      renderPages(data);
      selectAll.checked = false;
      showError("");
    }).catch(function (error) {
      list.textContent = "";
      pages.hidden = true;
      if (error && error.status === 404 && params().get("page") !== "1") {
        // Past the last page (after archiving the last items of it, say): back to the first.
        window.location.assign(pageHref(1));
        return;
      }
      showError(errorText(error, "Notifications could not be loaded. Try again in a moment."));
    }).then(function () { root.removeAttribute("aria-busy"); });
  }

  function selected() {
    return Array.prototype.filter.call(list.querySelectorAll(".inbox-select"), function (box) { return box.checked; })
      .map(function (box) { return parseInt(box.value, 10); });
  }

  selectAll.addEventListener("change", function () {
    Array.prototype.forEach.call(list.querySelectorAll(".inbox-select"), function (box) { box.checked = selectAll.checked; });
  });
  list.addEventListener("change", function () {
    var boxes = list.querySelectorAll(".inbox-select");
    selectAll.checked = boxes.length > 0 && selected().length === boxes.length;
  });

  // The buttons stay enabled (a disabled button would drop the keyboard focus); with nothing selected they say so.
  Array.prototype.forEach.call(root.querySelectorAll("[data-action]"), function (button) {
    button.disabled = false;
    button.addEventListener("click", function () {
      var ids = selected(), action = button.getAttribute("data-action");
      if (!ids.length) { status.textContent = "Select one or more notifications first."; return; }
      status.textContent = "Working…";
      window.pnApi.send("POST", api + "bulk/", { action: action, ids: ids }).then(function () {
        status.textContent = plural(ids.length, "notification") + " " + DONE[action] + ".";
        return load();
      }).catch(function (error) {
        status.textContent = "";
        showError(errorText(error, "That change could not be saved. Try again in a moment."));
      });
    });
  });

  load();
})();
