// Mounts Stripe's Payment Element and confirms the PaymentIntent; Stripe then sends the customer to the return page.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey, { locale: form.dataset.locale });
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  var button = form.querySelector("button[type=submit]");
  var message = document.getElementById("payment-message");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) {
          message.textContent = result.error.message;
          button.disabled = false;
        }
      });
  });
})();
