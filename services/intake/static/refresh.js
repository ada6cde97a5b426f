// Reloads the page every data-seconds while its button is pressed; the
// reader can stop it (WCAG 2.2.1), and the choice is remembered per page.
(function () {
  var button = document.getElementById("auto-refresh");
  if (!button) return;
  var key = "auto-refresh:" + location.pathname;
  var seconds = parseInt(button.getAttribute("data-seconds"), 10) || 30;
  var timer = null;
  function show(on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (timer) clearTimeout(timer);
    timer = on ? setTimeout(function () { location.reload(); }, seconds * 1000) : null;
  }
  button.addEventListener("click", function () {
    var on = button.getAttribute("aria-pressed") !== "true";
    localStorage.setItem(key, on ? "on" : "off");
    show(on);
  });
  show(localStorage.getItem(key) !== "off");
})();
