// A page that comes back with errors brings the reader to them: focus (and
// with it the screen and a screen reader) moves to the first error summary.
(function () {
  var summary = document.querySelector("#form-errors, #calendar-error");
  if (summary) summary.focus();
})();
