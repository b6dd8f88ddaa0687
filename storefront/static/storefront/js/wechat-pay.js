// WeChat Pay JSAPI inside WeChat (order_pay.html): the button opens WeChat's payment sheet with the signed
// parameters of #wechat-jsapi-params (WeixinJSBridge.invoke("getBrandWCPayRequest")); once paid, the return page
// waits for WeChat Pay's notification (the order is paid only from that, never from here). Cancelled: try again.
// Without the bridge (not WeChat's own browser, or it failed): the link to the QR code ([hidden] until then).
(function () {
  "use strict";
  var button = document.getElementById("wechat-jsapi-pay");
  var data = document.getElementById("wechat-jsapi-params");
  if (!button || !data) {
    return;
  }
  var params = JSON.parse(data.textContent);
  var message = document.getElementById("wechat-jsapi-message");
  var fallback = document.getElementById("wechat-jsapi-fallback");
  var WAIT_FOR_BRIDGE = 3000; // ms: WeChat injects its bridge shortly after the page loads

  function bridge() {
    return typeof window.WeixinJSBridge === "undefined" ? null : window.WeixinJSBridge;
  }

  function showFallback() {
    if (fallback) {
      fallback.hidden = false;
    }
  }

  button.addEventListener("click", function () {
    var jsBridge = bridge();
    if (!jsBridge) {
      message.textContent = button.dataset.failed;
      showFallback();
      return;
    }
    button.disabled = true;
    message.textContent = "";
    jsBridge.invoke("getBrandWCPayRequest", params, function (result) {
      var outcome = (result && result.err_msg) || "";
      if (outcome === "get_brand_wcpay_request:ok") {
        window.location.href = button.dataset.returnUrl;
        return;
      }
      button.disabled = false;
      if (outcome === "get_brand_wcpay_request:cancel") {
        message.textContent = button.dataset.cancelled;
        return;
      }
      message.textContent = button.dataset.failed;
      showFallback();
    });
  });

  if (!bridge()) {
    var timer = window.setTimeout(showFallback, WAIT_FOR_BRIDGE);
    document.addEventListener(
      "WeixinJSBridgeReady",
      function () {
        window.clearTimeout(timer);
        if (fallback && !message.textContent) {
          fallback.hidden = true;
        }
      },
      false
    );
  }
})();
