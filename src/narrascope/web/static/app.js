// narrascope dashboard: tooltips on highlighted passages, layer toggles, list <-> text links.
// Reads only our own data attributes and writes with textContent: no HTML from the page is ever parsed.
(function () {
  "use strict";
  var tip = null;
  var pinned = null;

  function entriesFor(el) {
    var refs = (el.getAttribute("data-refs") || "").split(" ");
    var items = [];
    refs.forEach(function (ref) {
      var li = ref && document.getElementById("f-" + ref);
      if (!li) { return; }
      var kind = li.getAttribute("data-kind");
      if (kind === "tech" && document.body.classList.contains("hide-tech")) { return; }
      if (kind === "quote" && document.body.classList.contains("hide-quote")) { return; }
      if (kind === "evid" && !document.body.classList.contains("show-evid")) { return; }
      items.push({ kind: kind, title: li.getAttribute("data-title") || "", body: li.getAttribute("data-body") || "" });
    });
    var order = { tech: 0, quote: 1, evid: 2 };
    items.sort(function (a, b) { return order[a.kind] - order[b.kind]; });
    return items;
  }

  function show(el) {
    var items = entriesFor(el);
    if (!tip || !items.length) { hide(); return; }
    tip.textContent = "";
    items.forEach(function (it) {
      var box = document.createElement("div");
      box.className = "tip-item tip-" + it.kind;
      var title = document.createElement("div");
      title.className = "tip-title";
      title.textContent = it.title;
      box.appendChild(title);
      if (it.body) {
        var body = document.createElement("div");
        body.className = "tip-body";
        body.textContent = it.body;
        box.appendChild(body);
      }
      tip.appendChild(box);
    });
    var r = el.getBoundingClientRect();
    tip.hidden = false;
    var left = Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8);
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = (window.scrollY + r.bottom + 6) + "px";
  }

  function hide() { if (tip) { tip.hidden = true; } }

  function highlightFinding(el) {
    document.querySelectorAll("ol.findings li.active").forEach(function (li) { li.classList.remove("active"); });
    (el.getAttribute("data-refs") || "").split(" ").forEach(function (ref) {
      var li = ref && document.getElementById("f-" + ref);
      if (li) { li.classList.add("active"); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tip = document.getElementById("tooltip");
    var text = document.getElementById("text");
    if (text) {
      text.addEventListener("mouseover", function (e) {
        var el = e.target.closest(".hl");
        if (el && !pinned) { show(el); }
      });
      text.addEventListener("mouseout", function (e) {
        var el = e.target.closest(".hl");
        if (el && !pinned && !(e.relatedTarget && el.contains(e.relatedTarget))) { hide(); }
      });
      text.addEventListener("click", function (e) {
        var el = e.target.closest(".hl");
        if (!el) { pinned = null; hide(); return; }
        pinned = el;
        show(el);
        highlightFinding(el);
      });
    }
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { pinned = null; hide(); } });
    document.querySelectorAll("ol.findings li[id^='f-']").forEach(function (li) {
      li.addEventListener("click", function (e) {
        if (e.target.closest("a")) { return; }
        var ref = li.id.slice(2);
        var first = null;
        document.querySelectorAll(".hl[data-refs]").forEach(function (el) {
          var on = (" " + el.getAttribute("data-refs") + " ").indexOf(" " + ref + " ") >= 0;
          el.classList.toggle("flash", on);
          if (on && !first) { first = el; }
        });
        if (first) { first.scrollIntoView({ block: "center", behavior: "smooth" }); }
      });
    });
    document.querySelectorAll(".toggles input[data-layer]").forEach(function (box) {
      function apply() {
        var layer = box.getAttribute("data-layer");
        if (layer === "evid") { document.body.classList.toggle("show-evid", box.checked); }
        else { document.body.classList.toggle("hide-" + layer, !box.checked); }
      }
      box.addEventListener("change", apply);
      apply();
    });
  });
})();
