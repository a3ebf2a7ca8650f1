// Live countdowns (buyer protection, flash deals): the page is complete
// without this script; it only keeps "time left" ticking for a visitor who
// leaves the page open.
// data-clock-offset-ms is how far the server's clock runs ahead of real time
// (the demo's fast-forward), in whole milliseconds.
(function () {
  function render(ms) {
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (!d && !h) return m + "m " + (s % 60) + "s";
    return (d ? d + "d " : "") + h + "h " + m + "m";
  }
  function tick() {
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-countdown-to"));
      var offset = Number(el.getAttribute("data-clock-offset-ms") || 0);
      if (isNaN(end) || isNaN(offset)) return;
      var left = end - (Date.now() + offset);
      if (left > 0) {
        el.textContent = render(left);
        return;
      }
      var label = el.parentNode && el.parentNode.querySelector("[data-countdown-label]");
      if (label) label.hidden = true;
      el.textContent = el.getAttribute("data-countdown-ended") || "Buyer protection has ended";
    });
  }
  tick();
  setInterval(tick, 1000);
})();

// Times written in UTC by the server ("Fri 18 Dec 2026, 18:59 UTC") are
// shown in the visitor's own time zone and language; the UTC text stays
// as the tooltip.
(function () {
  var options = { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    el.title = el.textContent;
    el.textContent = at.toLocaleString(undefined, options);
  });
})();
