/* Suggestions under the header's search field as the shopper types: products from /search/suggest/.
 *
 * Progressive enhancement: without this script the field is a plain search form. With it the field is an
 * ARIA combobox over a listbox of products: arrow keys move through them, Enter opens the chosen one (or
 * searches when none is chosen), Escape closes the list; a tap or click opens a product. Answers are asked
 * for 150 ms after the last keystroke, and an answer to an older query is dropped.
 */
(function () {
  "use strict";

  var form = document.querySelector("form.site-search[data-suggest-url]");
  var input = form && form.querySelector("input[name=q]");
  if (!input || !window.fetch) {
    return;
  }
  var endpoint = form.getAttribute("data-suggest-url");
  var list = document.createElement("ul");
  var timer = null;
  var controller = null;
  var shownFor = null;
  var active = -1;

  list.id = "site-search-suggestions";
  list.className = "search-suggestions";
  list.setAttribute("role", "listbox");
  if (input.labels && input.labels.length) {
    list.setAttribute("aria-label", input.labels[0].textContent.trim());
  }
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    setActive(-1);
  }

  function open() {
    if (options().length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function setActive(index) {
    var items = options();
    active = index;
    for (var i = 0; i < items.length; i++) {
      items[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (index >= 0 && items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(products) {
    list.textContent = "";
    products.forEach(function (product, i) {
      var item = document.createElement("li");
      item.id = "site-search-suggestion-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.setAttribute("data-url", product.url);
      item.className = "search-suggestions__item";
      item.appendChild(document.createTextNode(product.name));
      if (product.via) {
        var via = document.createElement("span");
        via.className = "search-suggestions__via";
        via.textContent = product.via;
        item.appendChild(document.createTextNode(" "));
        item.appendChild(via);
      }
      list.appendChild(item);
    });
    active = -1;
  }

  function typed() {
    return input.value.replace(/^\s+/, "");
  }

  function ask(query) {
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    fetch(endpoint + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || typed() !== query) {
          return;
        }
        shownFor = query;
        render(data.products || []);
        if (document.activeElement === input && options().length) {
          open();
        } else {
          close();
        }
      })
      .catch(function () {
        /* offline or aborted: the plain search still works */
      });
  }

  function go(item) {
    if (item && item.getAttribute("data-url")) {
      close();
      window.location.href = item.getAttribute("data-url");
    }
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var query = typed();
    if (!query.trim()) {
      shownFor = null;
      list.textContent = "";
      close();
      return;
    }
    timer = window.setTimeout(function () {
      ask(query);
    }, 150);
  });

  input.addEventListener("keydown", function (event) {
    if (event.isComposing) {
      return;
    }
    var count = options().length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      open();
      setActive(active + 1 < count ? active + 1 : 0);
    } else if (event.key === "ArrowUp" && count && !list.hidden) {
      event.preventDefault();
      setActive(active > 0 ? active - 1 : count - 1);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      go(options()[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });

  input.addEventListener("focus", function () {
    if (shownFor !== null && shownFor === typed()) {
      open();
    }
  });
  input.addEventListener("blur", close);

  // Pressing on a suggestion must not take the focus from the field (which would close the list first).
  list.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });
  list.addEventListener("click", function (event) {
    var item = event.target.closest ? event.target.closest("[role=option]") : null;
    go(item);
  });
  form.addEventListener("submit", close);
})();
