/* Small enhancements every page shares (the site works without them):
 * - <html class="js"> once scripts run, for styles that only make sense with this file;
 * - a cart quantity typed into its field is saved when the field changes (the 更新 button then hides).
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".quantity-form input[name=quantity]")) {
      return;
    }
    var form = input.form;
    if (form && input.checkValidity() && form.requestSubmit) {
      form.requestSubmit(form.querySelector(".quantity-form__update"));
    }
  });
})();
