/* "Your 12.4 km run is in": a notification on this device when a new run lands while the app is open.
 *
 * Once the runner has allowed notifications (the settings page's button, _device_notifications.html; never
 * asked anywhere else), an open, visible page asks /api/latest-run every minute. When the newest run's id
 * is not the one this device saw last and the run is fresh (the server's is_fresh_run), it is shown
 * through the service worker's registration, whose notificationclick (sw.js) opens the run's page.
 * The first answer on a device only sets what was seen: an old run is never announced.
 * RecoveryNudge.check() asks at once (the settings button uses it). Needs offline.js before it.
 */
(function () {
  "use strict";
  var EVERY_MS = 60000;
  var SEEN_KEY = "recovery-latest-run";
  var script = document.currentScript;
  var latestUrl = script && script.getAttribute("data-latest-run");
  var icon = script && script.getAttribute("data-icon");
  var offline = window.RecoveryOffline;
  var supported = Boolean(latestUrl && offline && window.isSecureContext && "Notification" in window &&
                          "serviceWorker" in navigator);

  function seen(id) {
    try {
      var before = window.localStorage.getItem(SEEN_KEY);
      window.localStorage.setItem(SEEN_KEY, String(id));
      return before;
    } catch (ignored) {
      return String(id);   // nowhere to remember: announce nothing rather than the same run each minute
    }
  }

  function check() {
    if (!supported || Notification.permission !== "granted" || document.visibilityState !== "visible") {
      return Promise.resolve(null);
    }
    return fetch(latestUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (latest) {
        if (!latest || latest.id === null || latest.id === undefined) { return null; }
        var before = seen(latest.id);
        if (before === null || before === String(latest.id) || !latest.fresh) { return null; }
        return offline.registration().then(function (registration) {
          if (!registration) { return null; }
          return registration.showNotification("Recovery coach", {
            body: latest.text, tag: "run-" + latest.id, icon: icon || undefined, data: { url: latest.url }
          }).then(function () { return latest; });
        });
      })
      .catch(function () { return null; });   // offline, or signed out: the next minute asks again
  }

  window.RecoveryNudge = { check: check };
  if (supported) {
    window.setInterval(check, EVERY_MS);
    document.addEventListener("visibilitychange", check);
    check();
  }

  // -- the settings page's button -----------------------------------------------------------------------------
  var button = document.getElementById("device-notify");
  var status = document.getElementById("device-notify-status");
  if (!button || !status) { return; }
  function say(permission) {
    var words = {
      granted: "This device is told when a run is in, while the dashboard is open here.",
      denied: "Notifications are blocked for this dashboard in this browser's settings: allow them there first.",
      unsupported: "This browser cannot show notifications from this page: it needs the dashboard's secure " +
                   "(https) address, or this machine's own."
    };
    status.textContent = words[permission] || "";
    button.hidden = permission === "granted" || permission === "unsupported";
  }
  if (!supported) { say("unsupported"); return; }
  say(Notification.permission);
  button.addEventListener("click", function () {
    var heard = false;
    var answered = function (permission) {
      if (heard) { return; }
      heard = true;
      say(permission);
      if (permission === "granted") { check(); }   // remembers the newest run now, so only a new one is announced
    };
    var asked = Notification.requestPermission(answered);   // older Safari answers only by the callback
    if (asked && asked.then) { asked.then(answered); }
  });
})();
