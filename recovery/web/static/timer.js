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

  var speed = plan.speed > 0 ? plan.speed : 1;
  var $ = function (id) { return document.getElementById(id); };
  var intro = document.querySelector(".timer-intro");
  var running = document.querySelector(".timer-run");
  var done = document.querySelector(".timer-done");
  var RING = 2 * Math.PI * 54;   // the progress ring's circumference (its circle has r=54)

  // The routine as a list of segments: get ready, hold (or reps), switch sides, hold;
  // an exercise of repeated holds rests between them. The get-ready time of each item
  // comes from the plan (longer between the floor and standing: recovery/coach/timer.py).
  var segments = [];
  plan.items.forEach(function (item, index) {
    var work = item.hold_s ? item.hold_s : (item.reps || 10) * plan.seconds_per_rep;
    var holds = item.hold_s && item.reps ? item.reps : 1;
    segments.push({ item: index, kind: "ready", seconds: item.get_ready_s });
    for (var hold = 1; hold <= holds; hold++) {
      if (hold > 1) { segments.push({ item: index, kind: "rest", seconds: plan.rest_s, hold: hold, holds: holds }); }
      for (var side = 1; side <= item.sides; side++) {
        if (side > 1) { segments.push({ item: index, kind: "switch", seconds: plan.switch_s, side: side }); }
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
  var audio = null;
  var heard = {};           // what the current segment has already said or sounded, so nothing repeats

  function setState(value) {
    state = value;
    document.body.dataset.timerState = value;
  }
  setState("intro");

  // -- sounds: short, distinct signals (Web Audio) -----------------------------
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
    } catch (e) { /* no audio here: the screen and the voice still say it */ }
  }
  var SOUNDS = {
    count: [[440, 0.09]],                     // each of 3, 2, 1
    start: [[660, 0.12], [880, 0.2]],         // the hold begins
    holdEnd: [[784, 0.16], [523, 0.34]],      // the hold is over: falling, so it is told apart from the start
    rep: [[330, 0.05]],                       // each rep of a counted move
    end: [[880, 0.2], [660, 0.2], [440, 0.45]]
  };

  // -- spoken cues: numbers and units said in full ("30 seconds") ---------------
  // `interrupting` cuts off what is being said (a new instruction); a count is queued behind it.
  function say(text, interrupting) {
    if (!$("speak").checked || !("speechSynthesis" in window)) { return; }
    try {
      if (interrupting !== false) { window.speechSynthesis.cancel(); }
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.rate = 1;
      window.speechSynthesis.speak(utterance);
    } catch (e) { /* no voice here: the screen still says it */ }
  }

  // -- keep the screen on: the Wake Lock API, else NoSleep.js's silent video, else a note ----
  var wakeLock = null;
  var noSleep = null;
  function awake(how) {
    document.body.dataset.awake = how;
    $("awake-note").hidden = how !== "none";
  }
  function videoFallback() {
    // Constructed only where the Wake Lock API is missing, so NoSleep.js takes its video path.
    if (typeof window.NoSleep !== "function" || "wakeLock" in navigator) { awake("none"); return; }
    try {
      noSleep = noSleep || new window.NoSleep();
      noSleep.enable().then(function () {
        if (state === "running") { awake("video"); } else { noSleep.disable(); }
      }, function () { awake("none"); });
    } catch (e) { awake("none"); }
  }
  function keepAwake() {
    if (wakeLock) { return; }
    if (!("wakeLock" in navigator)) { videoFallback(); return; }
    navigator.wakeLock.request("screen").then(function (lock) {
      if (state !== "running") { lock.release(); return; }
      wakeLock = lock;
      awake("wake-lock");
      lock.addEventListener("release", function () {
        wakeLock = null;
        if (state === "running" && document.visibilityState === "visible") { keepAwake(); }
      });
    }, function () { awake("none"); });  // refused (battery saver, a page not in front)
  }
  function letSleep() {
    if (wakeLock) { var lock = wakeLock; wakeLock = null; lock.release(); }
    if (noSleep && noSleep.isEnabled) { noSleep.disable(); }
    if (document.body.dataset.awake) { awake("released"); }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state === "running") { keepAwake(); }
  });

  // -- showing a segment ----------------------------------------------------
  function stepsOf(seg, item) {
    var second = (seg.kind === "work" || seg.kind === "switch") && seg.side === 2;
    return second && item.second_side_steps && item.second_side_steps.length ? item.second_side_steps : item.steps;
  }
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
  function doseShown(item) { return item.sides === 2 ? item.dose + " each side" : item.dose; }
  function fill(list, lines) {
    list.textContent = "";
    lines.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
  }

  function show() {
    var seg = segments[current];
    var item = plan.items[seg.item];
    var nextItem = plan.items[seg.item + 1];
    $("figure").src = item.figure;
    $("figure").alt = item.name;
    $("name").textContent = item.name;
    $("dose").textContent = doseShown(item);
    $("step-count").textContent = plan.step_word + " " + (seg.item + 1) + " of " + plan.items.length;
    $("progress").value = Math.round(100 * current / segments.length);
    var phase = { ready: "Get ready", "switch": "Switch sides", rest: "Rest, then again", work: item.hold_s ? "Hold" : "Move" }[seg.kind];
    $("phase").textContent = phase;
    document.body.dataset.phase = seg.kind;
    document.body.dataset.side = seg.side || 1;
    $("side").textContent = whereAt(seg, item);
    fill($("steps"), stepsOf(seg, item));
    fill($("cues"), item.cues || []);
    $("cues").hidden = seg.kind !== "work" || !(item.cues && item.cues.length);
    $("rep").hidden = !(seg.kind === "work" && !item.hold_s);
    $("next").textContent = nextItem ? "Next: " + nextItem.name : "Last one";
    heard = {};
    if (seg.kind === "ready") {
      say("Get ready: " + item.name + ", " + spokenDose(item) + ".");
    } else if (seg.kind === "switch") {
      say("Switch sides.");
    } else if (seg.kind === "rest") {
      say("Rest, then hold again.");
    } else {
      beep(SOUNDS.start);
      var first = seg.side === 1 && seg.hold === 1 && item.cues && item.cues.length ? " " + item.cues[0] : "";
      say((item.hold_s ? "Hold." : "Go.") + first);
    }
  }

  function left() {
    if (pausedLeft !== null) { return pausedLeft; }
    var seg = segments[current];
    return Math.max(0, seg.seconds - (performance.now() - segmentStart) * speed / 1000);
  }

  // What is said and sounded as a segment runs down: 3-2-1 before each hold and side, the rep count,
  // and "Next: ..." in the last seconds of a movement's last hold (not as it starts).
  function cueAt(seg, remaining) {
    var item = plan.items[seg.item];
    if (seg.kind !== "work") {
      for (var n = Math.min(plan.countdown_s, seg.seconds - 1); n >= 1; n--) {
        if (remaining <= n && !heard["count" + n]) {
          heard["count" + n] = true;
          if (remaining > n - 1) { beep(SOUNDS.count); say(String(n), false); }  // a count already past is not said late
        }
      }
      return;
    }
    var nextItem = plan.items[seg.item + 1];
    var announceAt = Math.min(plan.announce_next_s, seg.seconds / 2);
    var announcing = seg.last && nextItem && remaining <= announceAt;
    if (announcing && !heard.next) {
      heard.next = true;
      say("Next: " + nextItem.name + ".");
    }
    if (!item.hold_s) {
      var reps = item.reps || 10;
      var rep = Math.min(reps, Math.floor((seg.seconds - remaining) / plan.seconds_per_rep) + 1);
      $("rep").textContent = "Rep " + rep + " of " + reps;
      if (rep > 1 && !heard["rep" + rep]) {
        heard["rep" + rep] = true;
        beep(SOUNDS.rep);
        if (!announcing) { say(String(rep), false); }
      }
    }
  }

  function tick() {
    var remaining = left();
    var seg = segments[current];
    $("clock").textContent = String(Math.ceil(remaining));
    $("ring").setAttribute("stroke-dashoffset", String(RING * (1 - remaining / seg.seconds)));
    if (state !== "running") { return; }
    cueAt(seg, remaining);
    if (remaining <= 0) { advance(true); }
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
    if (naturally && seg.kind === "work") { beep(SOUNDS.holdEnd); }
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
      if ("speechSynthesis" in window && $("speak").checked) { window.speechSynthesis.cancel(); }
      letSleep();
    } else if (state === "paused") {
      var seg = segments[current];
      segmentStart = performance.now() - (seg.seconds - pausedLeft) * 1000 / speed;
      pausedLeft = null;
      setState("running");
      $("pause").textContent = "Pause";
      $("phase").textContent = { ready: "Get ready", "switch": "Switch sides", rest: "Rest, then again",
        work: plan.items[seg.item].hold_s ? "Hold" : "Move" }[seg.kind];
      keepAwake();
    }
  }

  function start() {
    intro.hidden = true;
    running.hidden = false;
    setState("running");
    keepAwake();   // in the tap's own turn: the video fallback may only start from a tap
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
    post(plan.done_url, {
      items_planned: plan.items.length,
      items_done: itemsDone,
      seconds_done: Math.round(workSeconds),
      completed: reachedEnd,
      finished_at: new Date().toISOString(),   // a record kept offline says when it really ended
      items: plan.items.map(function (item) { return { id: item.id, variant: item.variant }; })
    }).then(function (result) {
      if (result.queued) {
        // Kept on the phone (offline.js): the answers below are kept behind it and go once it is saved.
        keptId = result.id;
        $("done-message").textContent = "Kept on this phone: it is saved as soon as the connection returns.";
        setState("done");
        if (unsent) { sendFeedback(); }
        return;
      }
      if (!result.ok) { throw new Error(result.body.error || "The server did not save it."); }
      saved(result.body);
      setState("done");
      if (unsent) { sendFeedback(); }  // tapped while the record was on its way
    }).catch(function (error) {
      $("done-message").textContent = "Not saved: " + error.message + " Reload the page and try again.";
      $("feedback").hidden = true;  // nothing to put it on
      setState("done");
    });
    $("done-title").focus();
  }

  function saved(body) {
    $("done-message").textContent = body.message;
    $("done-streak").textContent = body.follow || "";
    feedbackUrl = body.feedback_url;
  }
  // The record kept offline has reached the server: say what it said, as if it had gone at once.
  window.addEventListener("recovery-offline", function (event) {
    var detail = event.detail || {};
    if (keptId === null || detail.id !== keptId) { return; }
    keptId = null;
    if (detail.outcome === "sent" && detail.body) { saved(detail.body); }
    else { $("done-message").textContent = "Not saved: " + ((detail.body && detail.body.error) || "the server refused it."); }
  });

  // A JSON POST: through the offline queue where the page has one (offline.js), so what was done
  // while the network was down is sent when it returns; else a plain fetch.
  function post(url, body) {
    if (window.RecoveryOffline && window.RecoveryOffline.send) {
      return window.RecoveryOffline.send(url, body, jsonHeaders());
    }
    return fetch(url, {
      method: "POST",
      keepalive: true,      // saved even if the page is closed at once
      headers: jsonHeaders(),
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(readReply);
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
  var keptId = null;        // the offline queue's id of the record, while it waits for the network
  var sending = false;      // one request at a time, so the last tap is the one that stays
  var unsent = false;       // a tap not yet sent

  function feedbackSaid(text, value) {
    $("feedback-status").textContent = text;
    document.body.dataset.feedback = value;
  }

  function sendFeedback() {
    unsent = true;
    if ((!feedbackUrl && keptId === null) || sending) { return; }
    unsent = false;
    sending = true;
    feedbackSaid("Saving…", "saving");
    var sent = feedbackUrl ? post(feedbackUrl, feedback)
      : window.RecoveryOffline.sendAfter(keptId, "feedback_url", feedback, jsonHeaders());
    sent.then(function (result) {
      if (result.queued) {
        sending = false;
        feedbackSaid("Kept on this phone: it is sent when the connection returns.", "queued");
        return;
      }
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
