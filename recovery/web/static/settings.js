/* Settings: until a time zone is chosen, offer the browser's own. */
(function () {
  "use strict";
  var select = document.getElementById("time-zone");
  if (!select || select.dataset.set === "yes" || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  Array.prototype.forEach.call(select.options, function (option) {
    if (option.value === zone || option.text === zone) { option.selected = true; }
  });
})();
