// The week view: arrow keys move between weeks, "t" comes back to this one, and "show in my
// time zone" reloads the grid in the browser's zone (the server draws it; this only builds the URL).
(function () {
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || typing(event.target)) return;
    var ids = { ArrowLeft: "prev-week", ArrowRight: "next-week", t: "this-week" };
    var link = ids[event.key] && document.getElementById(ids[event.key]);
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var mine = document.getElementById("my-zone");
    var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!mine || !zone) return;
    var params = new URLSearchParams({ week: mine.dataset.week, status: mine.dataset.status, provider: mine.dataset.provider, zone: zone });
    mine.href = "?" + params.toString();
    mine.hidden = false;
  });
})();
