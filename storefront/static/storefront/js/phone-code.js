// The code page's "send a new code" button waits out the seconds before another code may be sent, counting down
// (the server refuses an early one anyway). The label comes translated in data-wait-label with %(seconds)s.
(function () {
  "use strict";
  var button = document.querySelector("[data-resend-wait]");
  if (!button) {
    return;
  }
  var seconds = parseInt(button.dataset.resendWait, 10) || 0;
  if (seconds <= 0) {
    return;
  }
  var label = button.textContent;
  var waitLabel = button.dataset.waitLabel || label;
  var deadline = Date.now() + seconds * 1000;
  function tick() {
    var left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = waitLabel.replace("%(seconds)s", String(left));
    window.setTimeout(tick, 250);
  }
  tick();
})();
