// Time zone lists start on the reader's own zone, as the browser knows it,
// until they choose another (or the page shows one they saved).
(function () {
  var select = document.getElementById("timezone");
  if (!select || select.getAttribute("data-chosen")) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.selectedIndex = i; return; }
  }
})();
