// The review page's one script: server-sent events move the progress bar, and the page goes on
// when the server says the step is over. Without it, the page reloads itself (a <noscript>
// refresh) and shows the same.
(function () {
  "use strict";
  var source = document.querySelector("[data-events]");
  if (!source || !window.EventSource) {
    return;
  }
  var fill = source.querySelector(".bar-fill");
  var count = document.getElementById("count");
  var status = document.getElementById("status");
  var events = new EventSource(source.getAttribute("data-events"));
  events.addEventListener("progress", function (event) {
    var p = JSON.parse(event.data);
    source.setAttribute("aria-valuenow", String(p.done));
    source.setAttribute("aria-valuemax", String(p.total));
    if (fill) {
      fill.style.width = (p.total ? Math.floor((p.done * 100) / p.total) : 0) + "%";
    }
    if (count) {
      count.textContent = p.done + " of " + p.total + " writes done";
    }
    if (status && p.status) {
      status.textContent = p.status;
    }
  });
  events.addEventListener("end", function (event) {
    events.close();
    var next = event.data === "report" ? "data-report" : "data-start";
    window.location.replace(source.getAttribute(next));
  });
})();
