// Optional: live clicks. A page with [data-live-stream] listens to that Server-Sent Events
// stream (the session cookie signs it in) and, for each human click, adds one to the
// [data-live-count] counters and a row to the recent clicks, then redraws the chart and the
// [data-live-refresh] parts from the page itself (at most every few seconds). Every page
// works without this script, reloaded by hand.
(function () {
  var root = document.querySelector("[data-live-stream]");
  if (!root || !window.EventSource || !window.DOMParser) return;
  var status = document.querySelector("[data-live-status]");
  var source = new EventSource(root.getAttribute("data-live-stream"));
  var refreshing = null;
  var REFRESH_AFTER = 2000; // ms between two redraws, however many clicks come

  source.addEventListener("open", function () { if (status) status.hidden = false; });
  source.addEventListener("error", function () { if (status) status.hidden = true; });
  source.addEventListener("click", function (event) {
    var click;
    try { click = JSON.parse(event.data); } catch (e) { return; }
    if (click.kind !== "human") return; // the page counts humans only
    document.querySelectorAll("[data-live-count]").forEach(function (counter) {
      var value = parseInt(counter.textContent.replace(/[^0-9]/g, ""), 10) || 0;
      counter.textContent = (value + 1).toLocaleString("en-US");
    });
    addRecent(click);
    if (!refreshing) refreshing = setTimeout(refresh, REFRESH_AFTER);
  });

  function addRecent(click) {
    var body = document.querySelector("table.recent-clicks tbody");
    if (!body) return; // no table yet: the next redraw brings it
    var row = document.createElement("tr");
    row.className = "live-new";
    [
      ["When", "just now"],
      ["Country", click.country || "—"],
      ["Device", click.device ? click.device.charAt(0).toUpperCase() + click.device.slice(1) : "—"],
      ["Browser", click.browser || "—"],
      ["OS", click.os || "—"],
      ["Referrer", click.referrer || "direct"],
    ].forEach(function (cell) {
      var td = document.createElement("td");
      td.setAttribute("data-label", cell[0]);
      td.textContent = cell[1];
      row.appendChild(td);
    });
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 20) body.deleteRow(body.rows.length - 1);
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("img[data-live-chart]").forEach(function (chart) {
          var next = fresh.getElementById(chart.id);
          if (next) { chart.src = next.src; chart.alt = next.alt; }
        });
        document.querySelectorAll("[data-live-refresh]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next) part.innerHTML = next.innerHTML;
        });
      })
      .catch(function () { /* the counters stay; the next click tries again */ })
      .then(function () { refreshing = null; });
  }

  window.addEventListener("pagehide", function () { source.close(); });
})();
