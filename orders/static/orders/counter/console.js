/* The counter console, enhanced where the browser can (no inline script: the admin's CSP stays strict enough).

   - The queue (#counter-queue) refreshes itself: every data-refresh-seconds it fetches the queue's part of the
     page and swaps it in, unless someone is typing a code in it or the tab is hidden. Without script, the
     "Refresh" link reloads the page.
   - QR codes: where the browser has BarcodeDetector (Chrome on Android, macOS and ChromeOS; not Chromium on
     Linux, not Firefox or Safari today), the camera or a photo reads the QR on the customer's order page (it holds
     the pickup code) into the search field, and searches. Otherwise the code is typed, or a scanner types it. */
(function () {
  "use strict";

  function refreshQueue() {
    const queue = document.getElementById("counter-queue");
    if (!queue || !queue.dataset.queueUrl) return;
    const seconds = parseInt(queue.dataset.refreshSeconds, 10) || 30;
    const busy = () =>
      queue.contains(document.activeElement) ||
      Array.from(queue.querySelectorAll("input[name=code]")).some((input) => input.value);
    window.setInterval(async () => {
      if (document.hidden || busy()) return;
      try {
        const response = await fetch(queue.dataset.queueUrl, { credentials: "same-origin" });
        // Signed out (sent to the log-in page) or refused: keep what is shown.
        if (!response.ok || response.redirected) return;
        const html = await response.text();
        if (!busy()) queue.innerHTML = html;
      } catch (error) {
        // Offline for a moment: the next round tries again.
      }
    }, seconds * 1000);
  }

  function scanning() {
    const box = document.querySelector("[data-counter-scan]");
    const form = document.getElementById("counter-search-form");
    const field = document.getElementById("counter-search");
    if (!box || !form || !field || !("BarcodeDetector" in window)) return;
    let detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      return;
    }
    const status = form.querySelector("[data-scan-status]");
    const video = form.querySelector("[data-scan-video]");
    const camera = box.querySelector("[data-scan-camera]");
    const photo = box.querySelector("[data-scan-photo]");
    const say = (message) => {
      status.textContent = message;
      status.hidden = !message;
    };
    const found = (value) => {
      field.value = value;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    };
    box.hidden = false;

    photo.addEventListener("change", async () => {
      const file = photo.files && photo.files[0];
      if (!file) return;
      try {
        const codes = await detector.detect(await window.createImageBitmap(file));
        if (codes.length) found(codes[0].rawValue);
        else say(status.dataset.none);
      } catch (error) {
        say(status.dataset.none);
      }
    });

    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      camera.hidden = true;
      return;
    }
    camera.addEventListener("click", async () => {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch (error) {
        say(status.dataset.noCamera);
        return;
      }
      const stop = () => stream.getTracks().forEach((track) => track.stop());
      video.srcObject = stream;
      video.hidden = false;
      say(status.dataset.looking);
      await video.play();
      const look = async () => {
        try {
          const codes = await detector.detect(video);
          if (codes.length) {
            stop();
            video.hidden = true;
            found(codes[0].rawValue);
            return;
          }
        } catch (error) {
          // A frame not ready yet: look again.
        }
        window.setTimeout(look, 250);
      };
      look();
    });
  }

  refreshQueue();
  scanning();
})();
