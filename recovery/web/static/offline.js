/* What you do is kept when the network drops: the offline queue, the offline banner, the service worker.
 *
 * Pages call RecoveryOffline.send(url, body, headers): it POSTs the body as JSON and resolves
 * {ok, status, body, queued: false}; when the network is gone (fetch throws a TypeError, or the browser
 * says it is offline) the request is kept in this browser's IndexedDB and it resolves
 * {ok: false, status: 0, queued: true, id, body: {message}} instead. Kept requests are sent again, oldest
 * first, when the connection returns, on every page load, and by the service worker's Background Sync where
 * the browser has it. Each is sent with the CSRF token of the page sending it then (the token it was kept
 * with may belong to a session that has since ended), and a refused token is fetched afresh once.
 * A reply of 2xx sends the next; 401 (sign in again), 408, 429, 5xx or no network keep it for later;
 * any other 4xx drops it, remembered in the "failed" store and announced.
 *
 * A request whose address comes from an earlier one's reply (the feedback on a routine session that is
 * itself still waiting) is kept with RecoveryOffline.sendAfter(id, "feedback_url", body, headers).
 * Every request sent or dropped later is announced on window as a "recovery-offline" event,
 * detail {id, outcome: "sent" | "failed", status, body}.
 *
 * The service worker (sw.js) imports this same file for the queue alone (RecoveryOfflineCore); the page
 * part below needs a document. No inline scripts: the Content-Security-Policy forbids them.
 */
(function (scope) {
  "use strict";
  var DB_NAME = "recovery-offline";
  var OUTBOX = "outbox", SENT = "sent", FAILED = "failed";
  var SYNC_TAG = "recovery-outbox";
  var LOCK = "recovery-outbox";
  var KEEP_SENT = 50, KEEP_FAILED = 20;
  var KEEP_SECONDS = 60;   // a reply slower than this is taken as no network: the request stays queued
  var QUEUED_MESSAGE = "Saved on this device: it is sent when the connection returns.";

  // -- IndexedDB, in promises -----------------------------------------------------------------------------------
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        if (!scope.indexedDB) { reject(new Error("This browser cannot keep anything for later.")); return; }
        var opening = scope.indexedDB.open(DB_NAME, 1);
        opening.onupgradeneeded = function () {
          var base = opening.result;
          base.createObjectStore(OUTBOX, { keyPath: "id", autoIncrement: true });
          base.createObjectStore(SENT, { keyPath: "id" });
          base.createObjectStore(FAILED, { keyPath: "id" });
        };
        opening.onsuccess = function () {
          var base = opening.result;
          base.onversionchange = function () { base.close(); opened = null; };
          base.onclose = function () { opened = null; };
          resolve(base);
        };
        opening.onerror = function () { opened = null; reject(opening.error); };
      });
    }
    return opened;
  }
  // work(stores..., finish) runs inside one transaction; the promise resolves with what finish() was given,
  // once the transaction has committed.
  function within(names, mode, work) {
    return db().then(function (base) {
      return new Promise(function (resolve, reject) {
        var t = base.transaction(names, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error || new Error("The browser's store refused it.")); };
        work.apply(null, names.map(function (name) { return t.objectStore(name); })
          .concat([function (value) { result = value; }]));
      });
    });
  }
  function all(name) {
    return within([name], "readonly", function (store, finish) {
      store.getAll().onsuccess = function (event) { finish(event.target.result); };
    });
  }
  function keep(name, entry, most) {  // put, then trim the store to its newest `most`
    return within([name], "readwrite", function (store, finish) {
      store.put(entry);
      store.getAllKeys().onsuccess = function (event) {
        var keys = event.target.result;
        keys.slice(0, Math.max(0, keys.length - most)).forEach(function (key) { store.delete(key); });
        finish(entry);
      };
    });
  }

  function localPath(value) {
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" && value.indexOf("\\") < 0;
  }
  // What is remembered of a reply: its own addresses (feedback_url and the like), never the health details.
  function addressesIn(body) {
    var found = {};
    if (body && typeof body === "object") {
      Object.keys(body).forEach(function (key) {
        if (/_url$/.test(key) && localPath(body[key])) { found[key] = body[key]; }
      });
    }
    return found;
  }

  function enqueue(url, text, headers, after) {
    var entry = { url: url, body: text, headers: headers, after: after || null, kept_at: new Date().toISOString() };
    return within([OUTBOX], "readwrite", function (store, finish) {
      store.add(entry).onsuccess = function (event) { entry.id = event.target.result; finish(entry); };
    });
  }

  // -- sending ----------------------------------------------------------------------------------------------------
  function otherHeaders(headers) {  // the caller's headers, less those this file sets itself
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      if (!/^(x-csrftoken|content-type|accept)$/i.test(name)) { kept[name] = String(headers[name]); }
    });
    return kept;
  }
  function readReply(response) {
    return response.text().then(function (text) {
      var body = {};
      try { body = text ? JSON.parse(text) : {}; } catch (ignored) { body = { error: text.trim() }; }
      return { ok: response.ok, status: response.status, body: body, queued: false };
    });
  }
  function post(url, text, headers, token, keepalive) {
    var merged = { "Content-Type": "application/json", "Accept": "application/json" };
    Object.keys(headers).forEach(function (name) { merged[name] = headers[name]; });
    if (token) { merged["X-CSRFToken"] = token; }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, KEEP_SECONDS * 1000) : null;
    return fetch(url, {
      method: "POST", headers: merged, body: text, credentials: "same-origin", cache: "no-store",
      keepalive: Boolean(keepalive) && text.length < 60000,   // the browser refuses keepalive bodies above 64 kB
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) { clearTimeout(timer); }
      return readReply(response);
    }, function (error) {
      if (timer) { clearTimeout(timer); }
      throw error;
    });
  }
  function noNetwork(error) {
    return error instanceof TypeError || (error && error.name === "AbortError");
  }
  function csrfRefused(reply) {
    return reply.status === 400 && /CSRF/i.test(String(reply.body && reply.body.error));
  }
  function keptForLater(status) {
    return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
  }

  // A fresh CSRF token from Today's page, for a replay whose token was refused (or from the service worker,
  // which has no page of its own). None when signed out: the request waits for the next sign-in.
  var TOKEN_IN_PAGE = /<meta name="csrf-token" content="([^"]+)"/;
  function fetchToken(todayUrl) {
    return fetch(todayUrl || "/", {
      headers: { "Accept": "text/html" }, credentials: "same-origin", cache: "no-store", redirect: "manual"
    }).then(function (response) {
      if (!response.ok) { return null; }
      return response.text().then(function (page) {
        var found = TOKEN_IN_PAGE.exec(page);
        return found ? found[1].replace(/&#34;|&quot;/g, "\"").replace(/&amp;/g, "&") : null;
      });
    }, function () { return null; });
  }

  function withLock(work) {  // one replay at a time across this site's tabs and its worker
    if (scope.navigator && scope.navigator.locks && scope.navigator.locks.request) {
      return scope.navigator.locks.request(LOCK, work);
    }
    var run = (withLock.chain || Promise.resolve()).then(work, work);
    withLock.chain = run.catch(function () {});
    return run;
  }

  /* Send what is kept, oldest first. token(fresh) gives the CSRF token to send (fresh: the last was refused);
     tell(detail) hears each request sent or dropped. Resolves {sent, dropped, waiting}. */
  function replay(token, tell) {
    return withLock(function () {
      var summary = { sent: 0, dropped: 0, waiting: 0 };
      function finishDependents(entry, addresses) {
        return within([OUTBOX], "readwrite", function (store, finish) {
          var dropped = [];
          store.openCursor().onsuccess = function (event) {
            var cursor = event.target.result;
            if (!cursor) { finish(dropped); return; }
            var kept = cursor.value;
            if (kept.after && kept.after.id === entry.id) {
              var url = addresses && addresses[kept.after.field];
              if (url) { kept.url = url; kept.after = null; cursor.update(kept); } else { dropped.push(kept); cursor.delete(); }
            }
            cursor.continue();
          };
        }).then(function (dropped) {
          return Promise.all(dropped.map(function (kept) {
            return fail(kept, 0, "It belonged to something that could not be saved.");
          }));
        });
      }
      function fail(entry, status, error) {
        summary.dropped += 1;
        var record = { id: entry.id, url: entry.url, status: status, error: String(error || ""), at: new Date().toISOString() };
        return keep(FAILED, record, KEEP_FAILED).then(function () {
          if (tell) { tell({ id: entry.id, outcome: "failed", status: status, body: { error: record.error } }); }
          return finishDependents(entry, null);
        });
      }
      function sendOne(entry) {
        return Promise.resolve(token(false)).then(function (first) {
          return post(entry.url, entry.body, entry.headers || {}, first, false);
        }).then(function (reply) {
          if (!csrfRefused(reply)) { return reply; }
          return Promise.resolve(token(true)).then(function (fresh) {
            return fresh ? post(entry.url, entry.body, entry.headers || {}, fresh, false) : reply;
          });
        }, function (error) {
          if (noNetwork(error)) { return { ok: false, status: 0, body: {}, queued: true }; }
          throw error;
        });
      }
      function next() {
        return all(OUTBOX).then(function (entries) {
          var entry = entries[0];
          if (!entry) { return summary; }
          if (entry.after) {  // its earlier request went before it was kept: take the address it left
            return within([SENT], "readonly", function (store, finish) {
              store.get(entry.after.id).onsuccess = function (event) { finish(event.target.result); };
            }).then(function (sent) {
              var url = sent && sent.addresses[entry.after.field];
              if (!url) {
                return within([OUTBOX], "readwrite", function (store) { store.delete(entry.id); }).then(function () {
                  return fail(entry, 0, "It belonged to something that could not be saved.");
                }).then(next);
              }
              entry.after = null;
              entry.url = url;
              return within([OUTBOX], "readwrite", function (store) { store.put(entry); }).then(next);
            });
          }
          return sendOne(entry).then(function (reply) {
            if (reply.ok) {
              var addresses = addressesIn(reply.body);
              return within([OUTBOX], "readwrite", function (store) { store.delete(entry.id); })
                .then(function () { return keep(SENT, { id: entry.id, addresses: addresses }, KEEP_SENT); })
                .then(function () { return finishDependents(entry, addresses); })
                .then(function () {
                  summary.sent += 1;
                  if (tell) { tell({ id: entry.id, outcome: "sent", status: reply.status, body: reply.body }); }
                  return next();
                });
            }
            if (keptForLater(reply.status)) {
              summary.waiting = entries.length;
              return summary;
            }
            return within([OUTBOX], "readwrite", function (store) { store.delete(entry.id); }).then(function () {
              return fail(entry, reply.status, (reply.body && reply.body.error) || "The server refused it.");
            }).then(next);
          });
        });
      }
      return next();
    });
  }

  var core = {
    SYNC_TAG: SYNC_TAG,
    replay: replay,
    fetchToken: fetchToken,
    waiting: function () { return all(OUTBOX); },
    failed: function () { return all(FAILED); }
  };
  scope.RecoveryOfflineCore = core;
  if (typeof scope.document === "undefined") { return; }  // in the service worker: the queue alone

  // -- the page ---------------------------------------------------------------------------------------------------
  var document = scope.document;
  var navigator = scope.navigator;
  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-service-worker");
  var todayUrl = (script && script.getAttribute("data-today")) || "/";
  var banner = document.getElementById("offline-banner");
  // The last request found no network, whatever navigator.onLine says; a page the service worker answered
  // from its kept copy comes with the banner already shown.
  var lastFailed = Boolean(banner && !banner.hidden);

  function showBanner() {
    if (banner) { banner.hidden = navigator.onLine !== false && !lastFailed; }
  }
  function pageToken(fresh) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!fresh) { return meta ? meta.content : ""; }
    return fetchToken(todayUrl).then(function (token) {
      if (token && meta) { meta.content = token; }  // the page's own later requests use it too
      return token;
    });
  }
  function tell(detail) {
    scope.dispatchEvent(new CustomEvent("recovery-offline", { detail: detail }));
  }
  function askForSync() {
    if (!workerUrl || !navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync && registration.sync.register) { return registration.sync.register(SYNC_TAG); }
    }).catch(function () { /* no Background Sync here: the online event and the next page load send it */ });
  }
  function queued(entry) {
    lastFailed = true;
    showBanner();
    askForSync();
    return { ok: false, status: 0, queued: true, id: entry.id, body: { message: QUEUED_MESSAGE } };
  }
  function cannotKeep(error) {
    return { ok: false, status: 0, queued: false,
             body: { error: "No connection, and this browser could not keep it for later (" + error.message + ")." } };
  }

  function replayHere() {
    return replay(pageToken, tell).then(function (summary) {
      if (summary.sent && !summary.waiting) { lastFailed = false; }
      if (summary.waiting && navigator.onLine !== false) { lastFailed = true; }
      showBanner();
      return summary;
    }, function () { return { sent: 0, dropped: 0, waiting: 0 }; });
  }

  function send(url, body, headers) {
    var text = JSON.stringify(body === undefined ? {} : body);
    var extra = otherHeaders(headers);
    function keepIt() { return enqueue(url, text, extra, null).then(queued, cannotKeep); }
    if (navigator.onLine === false) { return keepIt(); }
    // Anything already waiting goes first: the server sees them in the order they were made.
    return all(OUTBOX).catch(function () { return []; }).then(function (waiting) {
      if (waiting.length) {
        return keepIt().then(function (reply) { replayHere(); return reply; });
      }
      return post(url, text, extra, pageToken(false), true).then(function (reply) {
        lastFailed = false;
        showBanner();
        return reply;
      }, function (error) {
        if (noNetwork(error)) { return keepIt(); }
        throw error;
      });
    });
  }

  // A request to the address an earlier kept request's reply gives (`field`, e.g. "feedback_url").
  function sendAfter(id, field, body, headers) {
    var text = JSON.stringify(body === undefined ? {} : body);
    var extra = otherHeaders(headers);
    return within([OUTBOX, SENT], "readonly", function (outbox, sent, finish) {
      var found = {};
      outbox.get(id).onsuccess = function (event) { found.waiting = event.target.result; };
      sent.get(id).onsuccess = function (event) { found.sent = event.target.result; finish(found); };
    }).then(function (found) {
      if (found.sent && found.sent.addresses[field]) { return send(found.sent.addresses[field], body, headers); }
      if (!found.waiting) {
        return { ok: false, status: 0, queued: false, body: { error: "What this belongs to was not saved." } };
      }
      return enqueue(null, text, extra, { id: id, field: field }).then(queued);
    }, cannotKeep);
  }

  // Signing out: what this device kept of the pages (Today, the timers) is this runner's; clear it first.
  function clearOnSignOut(form) {
    form.addEventListener("submit", function (event) {
      if (!scope.caches || form.dataset.cleared === "1") { return; }
      event.preventDefault();
      var done = function () { form.dataset.cleared = "1"; form.submit(); };
      scope.caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf("recovery-") === 0; })
          .map(function (name) { return scope.caches.delete(name); }));
      }).then(done, done);
    });
  }

  var registered = null;
  function registration() {
    if (!registered) {
      if (!workerUrl || !navigator.serviceWorker || !scope.isSecureContext) {
        registered = Promise.resolve(null);
      } else if (navigator.onLine === false && navigator.serviceWorker.controller) {
        registered = navigator.serviceWorker.ready;   // no update to look for without a network
      } else {
        registered = navigator.serviceWorker.register(workerUrl, { scope: "/", updateViaCache: "none" })
          .catch(function () {  // offline, the update check fails: the worker installed before still answers
            return navigator.serviceWorker.getRegistration("/");
          })
          .then(function (found) { return found ? navigator.serviceWorker.ready : null; })
          .catch(function () { return null; });   // no worker: the pages still work while online
      }
    }
    return registered;
  }

  scope.RecoveryOffline = {
    send: send,
    sendAfter: sendAfter,
    replay: replayHere,
    waiting: core.waiting,
    failed: core.failed,
    registration: registration
  };

  Array.prototype.forEach.call(document.querySelectorAll("form.signout"), clearOnSignOut);
  scope.addEventListener("online", function () { lastFailed = false; showBanner(); replayHere(); });
  scope.addEventListener("offline", showBanner);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {  // sent by the worker's sync
      if (event.data && event.data.type === "recovery-offline") { tell(event.data.detail); }
    });
  }
  showBanner();
  registration().then(function (ready) {
    if (ready && ready.active) { ready.active.postMessage({ type: "keep-shell" }); }
  });
  if (navigator.onLine !== false) { replayHere(); }
})(self);
