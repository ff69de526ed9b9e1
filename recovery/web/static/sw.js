/* The service worker: the dashboard keeps working on this device when the network drops mid-routine.
 *
 * BUILD ({version, shell, pages, offline, today}) is the line recovery/web/pwa.py puts before this file
 * when it serves it at /sw.js: `version` is a hash of the package version and every static file, so any
 * change makes a new shell cache (and this worker replaces the last at once).
 *
 * - The app shell (every static file: stylesheet, scripts, drawings, icons) is kept on install and
 *   answered from the cache first.
 * - Today and the timer pages (BUILD.pages) go to the network first; the last good copy answers when the
 *   network is gone. A page the server sends elsewhere (to the sign-in) clears every kept page: a
 *   signed-out visitor is never shown one. Nothing else is kept: no POST, no JSON, no other page.
 * - The offline queue (offline.js, imported here) is sent again by Background Sync.
 * - A tap on a run notification opens its page.
 */
"use strict";
importScripts(BUILD.offline);

var SHELL_CACHE = "recovery-shell-" + BUILD.version;
var PAGES_CACHE = "recovery-pages";
var PAGES = BUILD.pages.map(function (pattern) { return new RegExp(pattern); });
var OFFLINE_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Recovery coach</title>' +
  '<link rel="stylesheet" href="' + BUILD.shell.filter(function (url) { return /\/app\.css$/.test(url); })[0] +
  '"></head><body><main id="main"><h1>Offline</h1><p>There is no connection, and this page has not been ' +
  'opened on this device yet. It works offline once it has been opened while connected.</p>' +
  '<p><a href="' + BUILD.today + '">Today</a></p></main></body></html>';

function keepShell() {
  return caches.open(SHELL_CACHE).then(function (cache) {
    // "reload": past the browser's HTTP cache, so a new version never keeps an old file
    return cache.addAll(BUILD.shell.map(function (url) { return new Request(url, { cache: "reload" }); }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(keepShell().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("recovery-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  // After a sign-out cleared the caches, the next page asks for the shell back.
  if (event.data && event.data.type === "keep-shell") {
    event.waitUntil(caches.has(SHELL_CACHE).then(function (kept) { return kept ? null : keepShell(); }));
  }
});

function keptPage(url) {
  return PAGES.some(function (pattern) { return pattern.test(url.pathname); });
}

function forgetPages() {
  return caches.delete(PAGES_CACHE);
}

function networkFirst(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (response.type === "opaqueredirect" || response.status === 401) {
      // Sent to the sign-in: the sign-in has ended, and what was kept is not this visitor's to see.
      event.waitUntil(forgetPages());
      return response;
    }
    if (response.status === 200 && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) { return cache.put(request.url, copy); }));
    }
    return response;
  }, function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(request.url, { ignoreVary: true }).then(function (found) {
        return found || cache.match(request.url, { ignoreVary: true, ignoreSearch: true });
      });
    }).then(function (found) {
      if (!found) {
        return new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      }
      return showingTheBanner(found);
    });
  });
}

// The kept copy says so: its offline banner shown from the start (the browser may still think it is online,
// on a Wi-Fi whose router has lost the internet, or with the server switched off).
var BANNER_HIDDEN = /(<p [^>]*id="offline-banner"[^>]*?) hidden>/;
function showingTheBanner(kept) {
  return kept.text().then(function (html) {
    var headers = new Headers(kept.headers);
    headers.delete("Content-Length");
    return new Response(html.replace(BANNER_HIDDEN, "$1>"), { status: 200, headers: headers });
  });
}

function shellFirst(request) {
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (found) {
      return found || fetch(request).then(function (response) {
        if (response.status === 200) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }   // a POST always goes to the server (offline.js keeps it)
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && keptPage(url)) {
    event.respondWith(networkFirst(event));
  } else if (BUILD.shell.indexOf(url.pathname) >= 0 && !url.search) {
    event.respondWith(shellFirst(request));
  }
  // Everything else (other pages, JSON, uploads) goes to the network, untouched and never kept.
});

// -- the offline queue, by Background Sync -----------------------------------------------------------------------
function tellPages(detail) {
  self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "recovery-offline", detail: detail }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== RecoveryOfflineCore.SYNC_TAG) { return; }
  var token = null;
  event.waitUntil(RecoveryOfflineCore.replay(function (fresh) {
    // No page here to read the token from: Today's page gives this session's (fetched afresh once per sync).
    if (token && !fresh) { return token; }
    return RecoveryOfflineCore.fetchToken(BUILD.today).then(function (found) { token = found; return found; });
  }, tellPages).then(function (summary) {
    if (summary.waiting) { throw new Error("Still waiting for the connection"); }  // the browser tries again later
  }));
});

// -- run notifications (nudge.js shows them) ---------------------------------------------------------------------
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var wanted = (event.notification.data && event.notification.data.url) || BUILD.today;
  var target = new URL(wanted, self.location.origin);
  if (target.origin !== self.location.origin) { target = new URL(BUILD.today, self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (pages) {
    var open = pages.filter(function (page) { return new URL(page.url).origin === self.location.origin; })[0];
    var newWindow = function () { return self.clients.openWindow(target.href); };
    if (open && open.navigate) {  // navigate() works only on a page this worker controls
      return open.navigate(target.href).then(function (page) { return (page || open).focus(); }).catch(newWindow);
    }
    return newWindow();
  }));
});
