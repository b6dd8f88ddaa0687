// The countdown of an unpaid order's hold (storefront/includes/hold.html). The server renders the deadline and
// the seconds left (data-seconds-left); this shows "mm:ss left" (translated template in data-left-template, with
// %(time)s) every second. The timer itself is not announced; the polite status region is, at 5 minutes, 1 minute
// and the end. At zero: [data-hold-running] parts are hidden, the pay buttons ([data-hold-pay]) disabled (links
// hidden), and the "hold has ended" message ([data-hold-ended]) shown.
(function () {
  "use strict";
  var hold = document.querySelector("[data-hold]");
  if (!hold) {
    return;
  }
  var MARKS = [300, 60];
  var timer = hold.querySelector("[data-hold-left]");
  var status = hold.querySelector("[data-hold-status]");
  var ended = hold.querySelector("[data-hold-ended]");
  var template = hold.getAttribute("data-left-template") || "%(time)s";
  var seconds = parseInt(hold.getAttribute("data-seconds-left"), 10) || 0;
  var deadline = Date.now() + seconds * 1000;
  var last = seconds;
  var finished = false;
  var handle = null;

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function label(left) {
    return template.replace("%(time)s", pad(Math.floor(left / 60)) + ":" + pad(left % 60));
  }

  function announce(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function finish() {
    finished = true;
    each("[data-hold-running]", function (element) {
      element.hidden = true;
    });
    each("[data-hold-pay]", function (element) {
      if (element.tagName === "A") {
        element.hidden = true;
      }
      if (element.tagName === "BUTTON") {
        element.disabled = true;
      }
      Array.prototype.forEach.call(element.querySelectorAll("button"), function (button) {
        button.disabled = true;
      });
      Array.prototype.forEach.call(element.querySelectorAll("a"), function (link) {
        link.hidden = true;
      });
    });
    if (ended) {
      ended.hidden = false;
      announce(ended.textContent.replace(/\s+/g, " ").trim());
    }
  }

  // A pay form cannot be sent once the hold has ended (the server refuses it too).
  document.addEventListener(
    "submit",
    function (event) {
      if (finished && event.target.closest && event.target.closest("[data-hold-pay]")) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  function tick() {
    window.clearTimeout(handle);
    var remaining = deadline - Date.now();
    var left = Math.max(0, Math.ceil(remaining / 1000));
    if (timer) {
      timer.textContent = label(left);
    }
    if (left <= 0) {
      finish();
      return;
    }
    MARKS.forEach(function (mark) {
      if (last > mark && left <= mark) {
        announce(label(left));
      }
    });
    last = left;
    // The next whole second, plus a little so the display never lags behind.
    handle = window.setTimeout(tick, (remaining % 1000 || 1000) + 20);
  }

  if (seconds <= 0) {
    return; // rendered as ended already
  }
  if (timer) {
    timer.hidden = false;
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !finished) {
      tick();
    }
  });
  tick();
})();
