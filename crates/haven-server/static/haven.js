// Live protection countdowns: the page is complete without this script; it
// only keeps "time left" ticking for a visitor who leaves the page open.
(function () {
  function render(ms) {
    if (ms <= 0) return "ended";
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + "d " : "") + h + "h " + m + "m";
  }
  function tick() {
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-countdown-to"));
      var offset = Number(el.getAttribute("data-clock-offset-ms") || 0);
      if (!isNaN(end)) el.textContent = render(end - (Date.now() + offset));
    });
  }
  tick();
  setInterval(tick, 30000);
})();
