// As the requester writes their goal, the fields it sounds like are shown
// under it (POST /api/v1/fields/suggestions); choosing one sets the field.
// Without JavaScript, or when nothing is suggested, nothing shows.
(function () {
  var goal = document.getElementById("goal");
  var field = document.getElementById("field");
  var out = document.getElementById("field-suggestions");
  if (!goal || !field || !out) return;
  var timer = null, pending = null, asked = "";
  function show(fields) {
    out.textContent = "";
    if (!fields.length) { out.hidden = true; return; }
    out.appendChild(document.createTextNode(out.getAttribute("data-prefix") + " "));
    fields.forEach(function (f, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "suggestion";
      b.textContent = f.label;
      b.setAttribute("data-field", f.field);
      b.setAttribute("aria-pressed", String(field.value === f.field));
      b.addEventListener("click", function () {
        field.value = f.field;
        field.dispatchEvent(new Event("change", { bubbles: true }));
        out.querySelectorAll("button").forEach(function (o) {
          o.setAttribute("aria-pressed", String(o === b));
        });
      });
      if (i) out.appendChild(document.createTextNode(" "));
      out.appendChild(b);
    });
    out.hidden = false;
  }
  function ask() {
    var text = goal.value.trim();
    if (text === asked) return;
    asked = text;
    if (pending) pending.abort();
    if (text.split(/\s+/).length < 4) { show([]); return; }
    pending = new AbortController();
    fetch(out.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ goal: text }),
      signal: pending.signal
    }).then(function (r) { return r.ok ? r.json() : { fields: [] }; })
      .then(function (body) { show(body.fields || []); })
      .catch(function () {});
  }
  goal.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 500);
  });
  if (goal.value.trim()) ask();
})();
