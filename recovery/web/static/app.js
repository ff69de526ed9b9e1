/* Small touches for every page (no inline scripts: the Content-Security-Policy forbids them). */
(function () {
  "use strict";
  // The discomfort form: ticking an urgent warning sign shows what to do at once, before saving.
  var preview = document.querySelector(".urgent-preview");
  if (preview) {
    var boxes = document.querySelectorAll('.red-flags input[data-level="urgent"]');
    var update = function () {
      preview.hidden = !Array.prototype.some.call(boxes, function (box) { return box.checked; });
    };
    Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", update); });
    update();
  }
  // The warning-sign questions matter only with some discomfort: hidden while the score is 0 (or not chosen),
  // never while one is ticked. Without scripts they are always shown, and the server takes them at any score.
  Array.prototype.forEach.call(document.querySelectorAll("fieldset.red-flags[data-asked-above]"), function (set) {
    var form = set.form || set.closest("form");
    if (!form) { return; }
    var above = Number(set.getAttribute("data-asked-above")) || 0;
    var show = function () {
      var chosen = form.querySelector('input[name="score"]:checked');
      var ticked = set.querySelector('input[type="checkbox"]:checked');
      set.hidden = !ticked && !(chosen && Number(chosen.value) > above);
    };
    Array.prototype.forEach.call(form.querySelectorAll('input[name="score"]'), function (box) {
      box.addEventListener("change", show);
    });
    show();
  });
})();
