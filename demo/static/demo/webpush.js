/* "Desktop notifications" button: registers the service worker, subscribes with the server's VAPID key and
   stores the subscription through the API (POST webpush-subscriptions/). */
(function () {
  "use strict";
  var button = document.getElementById("pn-webpush");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  var api = "/api/notifications/webpush-subscriptions/";

  function keyBytes(b64) {
    var raw = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    window.pnApi.get(api).then(function (info) {
      return navigator.serviceWorker.register(button.dataset.worker).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(info.public_key),
        });
      });
    }).then(function (subscription) {
      return window.pnApi.send("POST", api, subscription.toJSON());
    }).then(function () {
      button.textContent = "Desktop notifications on";
      button.disabled = true;
    }).catch(function (error) {
      button.textContent = "Desktop notifications unavailable";
      console.warn("web push:", error);
    });
  });
})();
