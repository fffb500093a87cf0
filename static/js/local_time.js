// Beside a deadline shown in the program's time zone, the reader's own time, when the browser's
// time zone is another (signed-in readers get it from the server, per their profile); and the
// browser's time zone for the sign-up form, which keeps it on the new account.
(function () {
  "use strict";
  var here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var language = document.documentElement.lang || undefined;
  // The same moment's date and time on the clocks of ``zone``.
  function wallClock(date, zone) {
    return new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hour12: false, year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric"
    }).format(date);
  }
  // A form that asks for the reader's time zone (sign-up) gets the browser's.
  document.querySelectorAll("input[name=time_zone][type=hidden]").forEach(function (node) {
    if (here && !node.value) {
      node.value = here;
    }
  });
  document.querySelectorAll("time[data-zone]").forEach(function (node) {
    var zone = node.getAttribute("data-zone");
    var date = new Date(node.getAttribute("datetime"));
    if (!here || isNaN(date) || wallClock(date, zone) === wallClock(date, here)) {
      return;
    }
    var text = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" })
      .format(date);
    var span = document.createElement("span");
    span.className = "local-time";
    // The translated "your time: %(when)s" of the page's language.
    span.textContent = " (" + node.getAttribute("data-local").replace("%(when)s", text) + ")";
    node.after(span);
  });
})();
