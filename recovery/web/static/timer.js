/* The guided timer: one stretch at a time, get-ready and side-switch countdowns,
   sounds (Web Audio), spoken cues (speech synthesis), the screen kept awake
   (Wake Lock), keyboard controls, and what was done saved against the run;
   then "how is your back now?" and the stretches that did not agree, each tap
   saved as it is made. No inline script: the routine comes from the JSON block
   #routine-plan. */
(function () {
  "use strict";

  // -- words for speaking: "30 seconds", never "30 s" (the screen keeps "30 s") ------
  function spokenSeconds(seconds) {
    if (seconds === 1) { return "1 second"; }
    if (seconds >= 60 && seconds % 60 === 0) {
      var minutes = seconds / 60;
      return minutes + (minutes === 1 ? " minute" : " minutes");
    }
    return seconds + " seconds";
  }
  // An item's dose as it is said: "30 seconds", "3 holds of 30 seconds", "10 reps", each with ", each side".
  function spokenDose(item) {
    var said;
    if (item.hold_s && item.reps) {
      said = item.reps + (item.reps === 1 ? " hold of " : " holds of ") + spokenSeconds(item.hold_s);
    } else if (item.hold_s) {
      said = spokenSeconds(item.hold_s);
    } else {
      var reps = item.reps || 10;
      said = reps + (reps === 1 ? " rep" : " reps");
    }
    return item.sides === 2 ? said + ", each side" : said;
  }
  window.RecoveryTimer = { spokenDose: spokenDose, spokenSeconds: spokenSeconds };

  var planNode = document.getElementById("routine-plan");
  if (!planNode) { return; }
  var plan = JSON.parse(planNode.textContent);
  if (!plan.items || !plan.items.length) { return; }

  var SWITCH_S = 5;   // to change sides, or to rest between repeated holds (a plank's 3 x 30 s)
  var speed = plan.speed > 0 ? plan.speed : 1;
  var $ = function (id) { return document.getElementById(id); };
  var intro = document.querySelector(".timer-intro");
  var running = document.querySelector(".timer-run");
  var done = document.querySelector(".timer-done");

  // The routine as a list of segments: get ready, hold (or reps), switch sides, hold;
  // an exercise of repeated holds (hold_s and reps) rests between them.
  var segments = [];
  plan.items.forEach(function (item, index) {
    var work = item.hold_s ? item.hold_s : (item.reps || 10) * plan.seconds_per_rep;
    var holds = item.hold_s && item.reps ? item.reps : 1;
    segments.push({ item: index, kind: "ready", seconds: plan.get_ready_s });
    for (var hold = 1; hold <= holds; hold++) {
      if (hold > 1) { segments.push({ item: index, kind: "rest", seconds: SWITCH_S, hold: hold, holds: holds }); }
      for (var side = 1; side <= item.sides; side++) {
        if (side > 1) { segments.push({ item: index, kind: "switch", seconds: SWITCH_S }); }
        var last = hold === holds && side === item.sides;
        segments.push({ item: index, kind: "work", seconds: work, side: side, hold: hold, holds: holds, last: last });
      }
    }
  });

  var state = "intro";
  var current = 0;          // index into segments
  var segmentStart = 0;     // performance.now() when the current segment (re)started
  var pausedLeft = null;    // seconds left when paused
  var ticker = null;
  var finishedItems = {};   // item index -> true when its last hold ran to the end
  var workSeconds = 0;      // routine seconds of holds done
  var wakeLock = null;
  var audio = null;

  function setState(value) {
    state = value;
    document.body.dataset.timerState = value;
  }
  setState("intro");

  // -- sounds: three distinct short signals -------------------------------
  function beep(notes) {
    if (!$("sound").checked) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var t = audio.currentTime;
      notes.forEach(function (note) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + note[1]);
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + note[1] + 0.05);
        t += note[1] + 0.05;
      });
    } catch (e) { /* no audio here: the screen still says it */ }
  }
  var SOUNDS = {
    start: [[660, 0.12], [880, 0.18]],
    switch: [[520, 0.12], [520, 0.12]],
    end: [[880, 0.2], [660, 0.2], [440, 0.45]]
  };

  // -- spoken cues ----------------------------------------------------------
  function say(text) {
    if (!$("speak").checked || !("speechSynthesis" in window)) { return; }
    window.speechSynthesis.cancel();
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.rate = 1;
    window.speechSynthesis.speak(utterance);
  }

  // -- keep the screen on ---------------------------------------------------
  function keepAwake() {
    if (!("wakeLock" in navigator) || wakeLock) { return; }
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      lock.addEventListener("release", function () { wakeLock = null; });
    }).catch(function () { /* not allowed here (battery saver, no HTTPS): the timer still runs */ });
  }
  function letSleep() {
    if (wakeLock) { wakeLock.release(); wakeLock = null; }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && (state === "running" || state === "paused")) { keepAwake(); }
  });

  // -- showing a segment ----------------------------------------------------
  // Which side, and which of several holds: "First side", "Hold 2 of 3, second side".
  function whereAt(seg, item) {
    if (seg.kind === "switch") { return "Now the other side"; }
    if (seg.kind === "rest") { return "Next: hold " + seg.hold + " of " + seg.holds; }
    var side = item.sides === 2 ? (seg.kind === "ready" || seg.side === 1 ? "First side" : "Second side") : "";
    if (seg.kind === "work" && seg.holds > 1) {
      return "Hold " + seg.hold + " of " + seg.holds + (side ? ", " + side.toLowerCase() : "");
    }
    return side;
  }

  function show() {
    var seg = segments[current];
    var item = plan.items[seg.item];
    var nextItem = plan.items[seg.item + 1];
    $("figure").src = item.figure;
    $("figure").alt = item.name;
    $("name").textContent = item.name;
    $("step-count").textContent = "Stretch " + (seg.item + 1) + " of " + plan.items.length;
    $("progress").value = Math.round(100 * current / segments.length);
    var phase = { ready: "Get ready", "switch": "Switch sides", rest: "Rest, then again", work: item.hold_s ? "Hold" : "Move" }[seg.kind];
    $("phase").textContent = phase;
    document.body.dataset.phase = seg.kind;
    $("side").textContent = whereAt(seg, item);
    var steps = $("steps");
    steps.textContent = "";
    item.steps.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      steps.appendChild(li);
    });
    $("next").textContent = nextItem ? "Next: " + nextItem.name : "Last one";
    if (seg.kind === "ready") {
      say("Get ready: " + item.name + ", " + spokenDose(item) + ".");
    } else if (seg.kind === "switch") {
      beep(SOUNDS["switch"]);
      say("Switch sides.");
    } else if (seg.kind === "rest") {
      beep(SOUNDS["switch"]);
      say("Rest, then hold again.");
    } else if (seg.side === 1 && seg.hold === 1) {
      beep(SOUNDS.start);
      say(nextItem ? "Start. Next comes " + nextItem.name + "." : "Start. This is the last one.");
    } else {
      beep(SOUNDS.start);
    }
  }

  function left() {
    if (pausedLeft !== null) { return pausedLeft; }
    var seg = segments[current];
    return Math.max(0, seg.seconds - (performance.now() - segmentStart) * speed / 1000);
  }

  function tick() {
    var remaining = left();
    $("clock").textContent = String(Math.ceil(remaining));
    if (state === "running" && remaining <= 0) { advance(true); }
  }

  function begin(index) {
    current = index;
    segmentStart = performance.now();
    pausedLeft = state === "paused" ? segments[current].seconds : null;
    show();
    tick();
  }

  function advance(naturally) {
    var seg = segments[current];
    if (naturally && seg.kind === "work") {
      workSeconds += seg.seconds;
      if (seg.last) { finishedItems[seg.item] = true; }
    }
    if (current + 1 >= segments.length) { finish(true); return; }
    begin(current + 1);
  }

  function firstSegmentOf(itemIndex) {
    for (var i = 0; i < segments.length; i++) { if (segments[i].item === itemIndex) { return i; } }
    return segments.length;
  }

  function skip() {
    if (state !== "running" && state !== "paused") { return; }
    var next = firstSegmentOf(segments[current].item + 1);
    if (next >= segments.length) { finish(true); return; }
    begin(next);
  }

  function back() {
    if (state !== "running" && state !== "paused") { return; }
    var seg = segments[current];
    var start = firstSegmentOf(seg.item);
    var into = seg.seconds - left();
    // Early in a stretch's first part: the previous stretch; otherwise this one again.
    begin(current === start && into < 2 && seg.item > 0 ? firstSegmentOf(seg.item - 1) : start);
  }

  function pause() {
    if (state === "running") {
      pausedLeft = left();
      setState("paused");
      $("pause").textContent = "Resume";
      $("phase").textContent = "Paused";
      $("clock").textContent = String(Math.ceil(pausedLeft));
      letSleep();
    } else if (state === "paused") {
      var seg = segments[current];
      segmentStart = performance.now() - (seg.seconds - pausedLeft) * 1000 / speed;
      pausedLeft = null;
      setState("running");
      $("pause").textContent = "Pause";
      show();
      keepAwake();
    }
  }

  function start() {
    intro.hidden = true;
    running.hidden = false;
    setState("running");
    keepAwake();
    begin(0);
    ticker = window.setInterval(tick, speed > 1 ? 20 : 100);
    $("pause").focus();
  }

  function finish(reachedEnd) {
    if (state === "done" || state === "saving") { return; }
    setState("saving");
    window.clearInterval(ticker);
    letSleep();
    beep(SOUNDS.end);
    var itemsDone = Object.keys(finishedItems).length;
    say(reachedEnd ? "Well done. That is the whole routine." : "Stopped. What you did is saved.");
    running.hidden = true;
    done.hidden = false;
    $("done-title").textContent = reachedEnd ? "Routine complete" : "Stopped early";
    $("done-message").textContent = "Saving…";
    fetch(plan.done_url, {
      method: "POST",
      keepalive: true,      // saved even if the page is closed at once
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify({
        items_planned: plan.items.length,
        items_done: itemsDone,
        seconds_done: Math.round(workSeconds),
        completed: reachedEnd,
        items: plan.items.map(function (item) { return { id: item.id, variant: item.variant }; })
      })
    }).then(readReply).then(function (result) {
      if (!result.ok) { throw new Error(result.body.error || "The server did not save it."); }
      $("done-message").textContent = result.body.message;
      var s = result.body.streak;
      $("done-streak").textContent = "Cool-down streak: " + s.current + " run" + (s.current === 1 ? "" : "s") +
        " in a row (best " + s.best + ").";
      feedbackUrl = result.body.feedback_url;
      setState("done");
      if (unsent) { sendFeedback(); }  // tapped while the record was on its way
    }).catch(function (error) {
      $("done-message").textContent = "Not saved: " + error.message + " Reload the page and try again.";
      $("feedback").hidden = true;  // nothing to put it on
      setState("done");
    });
    $("done-title").focus();
  }

  function jsonHeaders() {
    var token = document.querySelector('meta[name="csrf-token"]').content;
    return { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token };
  }
  function readReply(response) {
    return response.json().then(function (body) { return { ok: response.ok, body: body }; });
  }

  // -- after the end: how is your back now, and which stretches did not agree -------
  // Each tap sends the whole answer so far; the session itself was saved when the timer stopped.
  var feedback = { back_after: null, disagreed: [] };
  var feedbackUrl = null;   // once the session is saved
  var sending = false;      // one request at a time, so the last tap is the one that stays
  var unsent = false;       // a tap not yet sent

  function feedbackSaid(text, value) {
    $("feedback-status").textContent = text;
    document.body.dataset.feedback = value;
  }

  function sendFeedback() {
    unsent = true;
    if (!feedbackUrl || sending) { return; }
    unsent = false;
    sending = true;
    feedbackSaid("Saving…", "saving");
    fetch(feedbackUrl, {
      method: "POST",
      keepalive: true,      // still sent if the page is closed straight after the tap
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify(feedback)
    }).then(readReply).then(function (result) {
      if (!result.ok) { throw new Error(result.body.error || "The server did not save it."); }
      sending = false;
      if (unsent) { sendFeedback(); return; }
      feedbackSaid(result.body.message, "saved");
    }).catch(function (error) {
      sending = false;
      feedbackSaid("Not saved: " + error.message + " Tap again to try again.", "failed");
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (button, index, all) {
    button.addEventListener("click", function () {
      feedback.back_after = button.dataset.back;
      Array.prototype.forEach.call(all, function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      sendFeedback();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-disagree]"), function (button) {
    button.addEventListener("click", function () {
      var id = button.dataset.disagree;
      var at = feedback.disagreed.indexOf(id);
      if (at < 0) { feedback.disagreed.push(id); } else { feedback.disagreed.splice(at, 1); }
      button.setAttribute("aria-pressed", at < 0 ? "true" : "false");
      sendFeedback();
    });
  });

  $("start").addEventListener("click", start);
  $("pause").addEventListener("click", pause);
  $("skip").addEventListener("click", skip);
  $("back").addEventListener("click", back);
  $("stop").addEventListener("click", function () { finish(false); });
  ["speak", "sound"].forEach(function (id) {
    var box = $(id);
    var saved = window.localStorage.getItem("timer-" + id);
    if (saved !== null) { box.checked = saved === "1"; }
    box.addEventListener("change", function () { window.localStorage.setItem("timer-" + id, box.checked ? "1" : "0"); });
  });
  document.addEventListener("keydown", function (event) {
    if (state !== "running" && state !== "paused") { return; }
    if (event.key === " " || event.key === "Spacebar") { event.preventDefault(); pause(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); skip(); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); back(); }
    else if (event.key === "Escape") { event.preventDefault(); finish(false); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (state === "running" || state === "paused") { event.preventDefault(); }
  });
})();
