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
})();
