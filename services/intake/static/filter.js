// A search box filters a list (options of a select, or labels of check
// boxes) by the words of each item's data-search; a summary names what is
// checked. Without JavaScript the whole list shows, and nothing is lost.
(function () {
  function words(text) { return (text || "").toLocaleLowerCase(); }
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    var list = document.querySelector(box.getAttribute("data-filter"));
    if (!list) return;
    box.addEventListener("input", function () {
      var q = words(box.value).trim();
      list.querySelectorAll("[data-search]").forEach(function (item) {
        var keep = !q || !item.getAttribute("data-search") || words(item.getAttribute("data-search")).indexOf(q) >= 0;
        item.hidden = !keep;
      });
    });
  });
  document.querySelectorAll("[data-summary-of]").forEach(function (summary) {
    var list = document.querySelector(summary.getAttribute("data-summary-of"));
    if (!list) return;
    function show() {
      var chosen = Array.prototype.map.call(list.querySelectorAll("input:checked"), function (i) {
        return i.parentNode.textContent.trim();
      });
      summary.textContent = chosen.length ? summary.getAttribute("data-prefix") + " " + chosen.join(", ") : summary.getAttribute("data-none");
    }
    list.addEventListener("change", show);
    show();
  });
})();
