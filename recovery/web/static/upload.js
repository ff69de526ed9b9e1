/* Drag-and-drop upload with progress. Without JavaScript the form posts as usual. */
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  if (!zone || !window.FormData) { return; }
  var input = document.getElementById("file-input");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var results = document.getElementById("upload-results");
  var token = document.querySelector('meta[name="csrf-token"]').content;

  // The server's cap, when the page names it (data-max-bytes, from MAX_UPLOAD_BYTES); the server's own
  // answer says it too, so the cap is written down in one place only.
  var maxBytes = Number(zone.dataset.maxBytes) || 0;
  var tooLarge = zone.dataset.tooLarge || "That upload is larger than this server accepts.";

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
        status.textContent += " The import log below is updated when you reload.";
        document.body.dataset.uploaded = "yes";
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
