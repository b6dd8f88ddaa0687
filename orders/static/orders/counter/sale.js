/* Walk-in sales at the counter, enhanced in the browser (no inline script). Without script every button posts the
   sale back and the server does the same; the server prices the sale when it is recorded.

   - A SKU typed or scanned into the scan field (Enter) adds one of that product; an unknown SKU is sent to the
     server, which says so.
   - The product list narrows as one types; "Add" adds one; the steppers change quantities; the total is live.
   - [data-print] buttons (receipt, day-end summary) appear and print the page (58 mm print layout). */
(function () {
  "use strict";

  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }

  const form = document.querySelector("[data-sale-form]");
  if (!form) return;
  const lines = form.querySelector("[data-sale-lines]");
  const template = form.querySelector("[data-sale-line-template]");
  const products = Array.from(form.querySelectorAll("[data-sale-products] li[data-variant]"));
  const scan = form.querySelector("[data-sale-scan]");
  const search = form.querySelector("[data-sale-search]");
  const empty = form.querySelector("[data-sale-empty]");
  const MAX = 9999;

  const yuan = (fen) => {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${sign}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
  };
  const quantityOf = (row) => {
    const value = parseInt(row.querySelector("[data-line-quantity]").value, 10);
    return Number.isFinite(value) ? value : 0;
  };

  function update() {
    let total = 0;
    const rows = lines.querySelectorAll("tr[data-sale-line]");
    for (const row of rows) {
      const quantity = Math.max(0, quantityOf(row));
      const amount = quantity * parseInt(row.dataset.price, 10);
      row.querySelector("[data-line-total]").textContent = yuan(amount);
      total += amount;
    }
    for (const output of form.querySelectorAll("[data-sale-total]")) output.textContent = yuan(total);
    empty.hidden = rows.length > 0;
  }

  function setQuantity(row, quantity) {
    row.querySelector("[data-line-quantity]").value = Math.min(MAX, Math.max(1, quantity));
    update();
  }

  function add(product) {
    const variant = product.dataset.variant;
    let row = lines.querySelector(`tr[data-variant="${CSS.escape(variant)}"]`);
    if (!row) {
      row = template.content.firstElementChild.cloneNode(true);
      row.dataset.variant = variant;
      row.dataset.price = product.dataset.price;
      row.querySelector("[data-line-variant]").value = variant;
      row.querySelector("[data-line-name]").textContent = product.dataset.name;
      row.querySelector("[data-line-sku]").textContent = product.dataset.sku;
      row.querySelector("[data-line-price]").textContent = yuan(parseInt(product.dataset.price, 10));
      for (const button of row.querySelectorAll("[data-step]")) button.value = `${variant}:${button.dataset.step}`;
      row.querySelector("[data-remove]").value = variant;
      row.querySelector("[data-line-quantity]").value = 0;
      lines.appendChild(row);
    }
    setQuantity(row, quantityOf(row) + 1);
  }

  function addScanned() {
    const sku = scan.value.trim().toLowerCase();
    if (!sku) return true;
    const product = products.find((item) => item.dataset.sku.toLowerCase() === sku);
    if (!product) return false; // the server answers for a SKU not sold here
    add(product);
    scan.value = "";
    scan.focus();
    return true;
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !form.contains(button)) return;
    if (button.dataset.step) {
      event.preventDefault();
      const row = button.closest("tr");
      setQuantity(row, quantityOf(row) + parseInt(button.dataset.step, 10));
    } else if (button.hasAttribute("data-remove")) {
      event.preventDefault();
      button.closest("tr").remove();
      update();
    } else if (button.name === "add") {
      event.preventDefault();
      add(button.closest("li"));
    } else if (button.name === "add_sku") {
      // Also what Enter in any field of the form presses.
      if (addScanned()) event.preventDefault();
    } else if (button.name === "search") {
      event.preventDefault();
      narrow();
    }
  });

  function narrow() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const item of products) {
      const text = `${item.dataset.name} ${item.dataset.sku}`.toLowerCase();
      item.hidden = !words.every((word) => text.includes(word));
    }
  }

  search.addEventListener("input", narrow);
  lines.addEventListener("input", update);
  narrow();
  update();
})();
