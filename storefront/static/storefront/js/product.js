/* The product page, enhanced (storefront/templates/storefront/product/main.html). Without this script the
   page still works: the chips and counters are radio buttons of the add-to-cart form, the thumbnails link to
   their pictures.

   - Gallery: a tapped thumbnail scrolls its picture into view (no jump of the page); swiping the pictures
     moves the highlighted thumbnail along.
   - Variant chips: the chosen variant's price and stock are shown beside the buy buttons, and each counter
     shows its stock of that variant only; counters without it cannot be chosen.
   - Counter: the shopper's choice is remembered on this device (localStorage: the page itself is cached for
     everyone) and chosen again on every product page; "buy now" takes it to checkout.
*/
(function () {
  "use strict";

  var COUNTER_KEY = "dexiu:counter";

  function toArray(list) {
    return Array.prototype.slice.call(list);
  }

  function rememberedCounter() {
    try {
      var value = window.localStorage.getItem(COUNTER_KEY) || "";
      return /^\d{1,12}$/.test(value) ? value : "";
    } catch (error) {
      return ""; // storage refused (private browsing, settings): nothing remembered
    }
  }

  function rememberCounter(value) {
    try {
      window.localStorage.setItem(COUNTER_KEY, value);
    } catch (error) {
      /* storage refused: the choice lasts for this page only */
    }
  }

  function setUpGallery(gallery) {
    var slides = gallery.querySelector(".gallery__slides");
    var thumbs = toArray(gallery.querySelectorAll(".gallery__thumb"));
    if (!slides || thumbs.length < 2) {
      return;
    }
    var pictures = toArray(slides.children);

    function highlight(index) {
      thumbs.forEach(function (thumb, position) {
        if (position === index) {
          thumb.setAttribute("aria-current", "true");
        } else {
          thumb.removeAttribute("aria-current");
        }
      });
    }

    thumbs.forEach(function (thumb, index) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        slides.scrollTo({ left: pictures[index].offsetLeft, behavior: still ? "auto" : "smooth" });
        highlight(index);
      });
    });

    var waiting = false;
    slides.addEventListener(
      "scroll",
      function () {
        if (waiting) {
          return;
        }
        waiting = true;
        window.requestAnimationFrame(function () {
          waiting = false;
          var step = pictures[1].offsetLeft - pictures[0].offsetLeft || slides.clientWidth;
          var index = Math.round(slides.scrollLeft / step);
          highlight(Math.max(0, Math.min(pictures.length - 1, index)));
        });
      },
      { passive: true }
    );
  }

  function setUpBuying(product) {
    var form = product.querySelector("form[data-buy]");
    var counters = toArray(product.querySelectorAll("[data-counter]"));
    var price = product.querySelector("[data-buy-price]");
    var stock = product.querySelector("[data-buy-stock]");

    function chooseRememberedCounter() {
      var value = rememberedCounter();
      if (!value) {
        return;
      }
      var input = product.querySelector('input[name="counter"][value="' + value + '"]');
      if (input && !input.disabled) {
        input.checked = true;
        var folded = input.closest("details");
        if (folded) {
          folded.open = true;
        }
      }
    }

    function showChosenVariant() {
      var chosen = form ? form.querySelector('input[name="variant"]:checked') : null;
      if (!chosen) {
        chooseRememberedCounter();
        return;
      }
      var shown = [chosen.getAttribute("data-price"), chosen.getAttribute("data-stock-label")];
      if (price && stock && (price.textContent !== shown[0] || stock.textContent !== shown[1])) {
        // Written only when it changes: the bar is a live region, read out on each change.
        price.textContent = shown[0];
        stock.textContent = shown[1];
        stock.className = "buy-bar__stock availability--" + chosen.getAttribute("data-stock");
      }
      counters.forEach(function (counter) {
        var input = counter.querySelector('input[name="counter"]');
        var here = null;
        toArray(counter.querySelectorAll("[data-variant]")).forEach(function (level) {
          var mine = level.getAttribute("data-variant") === chosen.value;
          level.hidden = !mine;
          if (mine) {
            here = level;
          }
        });
        var none = !here || here.getAttribute("data-stock") === "sold_out";
        counter.classList.toggle("counter--none", none);
        input.disabled = none;
        if (none) {
          input.checked = false;
        }
      });
      chooseRememberedCounter();
    }

    if (form) {
      form.addEventListener("change", function (event) {
        if (event.target.name === "variant") {
          showChosenVariant();
        }
      });
    }
    counters.forEach(function (counter) {
      var input = counter.querySelector('input[name="counter"]');
      input.addEventListener("change", function () {
        if (input.checked) {
          rememberCounter(input.value);
        }
      });
    });
    showChosenVariant();
  }

  function start() {
    toArray(document.querySelectorAll("[data-product]")).forEach(function (product) {
      var gallery = product.querySelector("[data-gallery]");
      if (gallery) {
        setUpGallery(gallery);
      }
      setUpBuying(product);
      product.classList.add("is-enhanced");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
