/* Drag-and-drop upload with progress. Without JavaScript the form posts as usual. */
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  if (!zone || !window.FormData) { return; }
  var input = document.getElementById("file-input");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var results = document.getElementById("upload-results");
  var runLinks = document.getElementById("upload-runs");
  var token = document.querySelector('meta[name="csrf-token"]').content;

  // The server's cap, when the page names it (data-max-bytes, from MAX_UPLOAD_BYTES); the server's own
  // answer says it too, so the cap is written down in one place only.
  var maxBytes = Number(zone.dataset.maxBytes) || 0;
  var tooLarge = zone.dataset.tooLarge || "That upload is larger than this server accepts.";

  // Each new run's page, and its cool-down, one tap from the upload's answer.
  function showRunLinks(runs) {
    if (!runLinks) { return; }
    runs.forEach(function (run) {
      var li = document.createElement("li");
      var view = document.createElement("a");
      view.href = run.href;
      view.textContent = run.text;
      li.appendChild(view);
      if (run.cooldown_href) {
        var cooldown = document.createElement("a");
        cooldown.href = run.cooldown_href;
        cooldown.className = "button primary";
        cooldown.textContent = run.cooldown_text;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(cooldown);
      }
      runLinks.appendChild(li);
    });
  }

  // The import log section, rendered by the server (/imports/log) the same way as on a reload.
  function refreshLog() {
    var section = document.getElementById("import-log-section");
    var done = function () { document.body.dataset.uploaded = "yes"; };
    if (!section || !window.fetch) { status.textContent += " Reload the page to see the import log."; done(); return; }
    fetch(section.dataset.src || "/imports/log", { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (reply) {
        if (!reply.ok) { throw new Error(String(reply.status)); }
        return reply.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("import-log-section");
        if (fresh) { section.replaceWith(document.importNode(fresh, true)); }
        done();
      })
      .catch(function () {
        status.textContent += " The import log could not be refreshed: reload the page to see it.";
        done();
      });
  }

  function send(files) {
    if (!files || !files.length) { status.textContent = "Choose a file first."; return; }
    var total = Array.prototype.reduce.call(files, function (sum, file) { return sum + file.size; }, 0);
    if (maxBytes && total > maxBytes) { status.textContent = tooLarge; return; }
    var data = new FormData();
    Array.prototype.forEach.call(files, function (file) { data.append("file", file, file.name); });
    var request = new XMLHttpRequest();
    request.open("POST", zone.action);
    request.setRequestHeader("X-CSRFToken", token);
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false;
    progress.value = 0;
    results.textContent = "";
    if (runLinks) { runLinks.textContent = ""; }
    status.textContent = "Uploading…";
    zone.classList.add("busy");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        progress.value = Math.round(100 * event.loaded / event.total);
        status.textContent = event.loaded < event.total ? "Uploading… " + progress.value + "%" : "Reading the files…";
      }
    });
    request.addEventListener("load", function () {
      zone.classList.remove("busy");
      progress.hidden = true;
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
      if (request.status === 413) {
        status.textContent = (body && body.error) || request.responseText.trim() || tooLarge;
      } else if (!body || request.status >= 400) {
        status.textContent = (body && body.error) || "The upload failed (" + request.status + "). Reload the page and try again.";
      } else {
        status.textContent = body.summary + ".";
        body.files.forEach(function (file) {
          var li = document.createElement("li");
          li.className = "outcome-" + file.outcome;
          li.textContent = file.message;
          results.appendChild(li);
        });
        showRunLinks(body.runs || []);
        refreshLog();
      }
    });
    request.addEventListener("error", function () {
      zone.classList.remove("busy");
      progress.hidden = true;
      // A server refusing a too-large upload closes the connection while the browser still sends.
      status.textContent = "The upload was interrupted: is the server still running, and is the upload under its limit?";
    });
    request.send(data);
  }

  zone.addEventListener("submit", function (event) { event.preventDefault(); send(input.files); });
  input.addEventListener("change", function () { send(input.files); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) { send(event.dataTransfer.files); });
})();
