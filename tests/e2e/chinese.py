"""The back office in Chinese: a check over the text a Chinese user sees on the current screen.

Every visible text node, the ``placeholder``, ``title`` and ``aria-label`` of visible elements and the
values of visible buttons are read; a Latin word of two letters or more that is not in the allow-list
(brand names, units, codes) is English the user meets. SKUs, order numbers, e-mail addresses, URLs and
hexadecimal codes are not words.
"""

import re

from playwright.sync_api import Page

# Names and units a Chinese screen may show as they are.
ALLOWED = {
    "dexiu",
    "wagtail",
    "wechat",
    "alipay",
    "unionpay",
    "stripe",
    "sms",
    "qr",
    "sku",
    "id",
    "url",
    "csv",
    "xlsx",
    "pdf",
    "kg",
    "g",
    "ml",
    "cm",
    "mm",
    "px",
    "ok",
    "cny",
    "api",
    "html",
    "jpg",
    "png",
    "pc",
    "app",
}

VISIBLE_TEXT = """(root) => {
  const shown = (element) => element && element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const texts = [];
  const walker = document.createTreeWalker(root || document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "CODE", "PRE"].includes(parent.tagName)) continue;
    if (parent.closest("[translate=no], .notranslate, [lang]:not([lang^=zh])")) continue;
    if (node.textContent.trim() && shown(parent)) texts.push(node.textContent.trim());
  }
  const labelled = "[placeholder], [title], [aria-label], input[type=submit], input[type=button]";
  for (const element of (root || document.body).querySelectorAll(labelled)) {
    if (!shown(element) || element.closest("[translate=no], .notranslate")) continue;
    for (const name of ["placeholder", "title", "aria-label"]) {
      const value = element.getAttribute(name);
      if (value) texts.push(value);
    }
    if (["submit", "button"].includes(element.type) && element.value) texts.push(element.value);
  }
  return texts;
}"""

NOT_WORDS = re.compile(
    r"\S+@\S+|https?://\S+|/\S*|\b[A-Z]{2}\d{6,}[-\d]*\b|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b|\b[0-9a-f]{8,}\b"
)
WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def english_words(texts: list[str], allow: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The English words in ``texts`` (each with its text, for the failure message)."""
    allowed = ALLOWED | {word.lower() for word in allow}
    found = []
    for text in texts:
        for word in WORD.findall(NOT_WORDS.sub(" ", text)):
            if word.lower() not in allowed:
                found.append(f"{word!r} in {text[:80]!r}")
    return found


def english_on_screen(page: Page, allow: set[str] | frozenset[str] = frozenset(), within: str = "body") -> list[str]:
    """The English a Chinese user sees on the page open in ``page`` (``within``: a CSS selector)."""
    texts = page.evaluate(VISIBLE_TEXT, page.locator(within).first.element_handle())
    return english_words(texts, allow)


def assert_chinese(page: Page, allow: set[str] | frozenset[str] = frozenset(), within: str = "body") -> None:
    """Fail listing the English words visible on the current screen."""
    found = english_on_screen(page, allow, within)
    assert not found, f"English on {page.url}: " + "; ".join(found[:20])
