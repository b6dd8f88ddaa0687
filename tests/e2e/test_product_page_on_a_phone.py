"""The product page on a 390 by 844 px phone: thumbnails, a variant chip, a counter chosen and remembered, the
sticky bar's "立即购买" landing on checkout with that counter chosen; nothing wider than the screen and the
bar covering nothing."""

import re

from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
PRODUCT = "/products/guicuo-navel-orange-gift-5kg/"  # two pictures, two variants, stocked at the counters
# Elements sticking out of the viewport on either side (visually hidden ones are 1 px and clipped), unless a
# scrolling box inside the viewport clips them (the gallery's other pictures, swiped into view).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const outside = (box) => box.right > width + 0.5 || box.left < -0.5;
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return !outside(box.getBoundingClientRect());
    }
    return false;
  };
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width && outside(box) && !clipped(element)) {
      const name = `${element.tagName.toLowerCase()}.${element.className}`;
      out.push(`${name} ${Math.round(box.left)}-${Math.round(box.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""
BOTTOM = "() => { window.scrollTo(0, document.documentElement.scrollHeight); return window.scrollY; }"
FOOTER_BOTTOM = "() => document.querySelector('.site-footer').getBoundingClientRect().bottom"


def no_overflow(page: Page) -> None:
    found = page.evaluate(OVERFLOWING)
    assert found["scroll"] <= found["width"] and found["out"] == [], found


def test_choose_a_variant_and_a_counter_and_buy_now_on_a_phone(page: Page):
    page.set_viewport_size(PHONE)
    response = page.goto(PRODUCT)
    assert response is not None and response.status == 200
    no_overflow(page)

    # Real thumbnails: small pictures, one per slide; tapping the second shows the second picture.
    thumbs = page.locator(".gallery__thumb")
    expect(thumbs).to_have_count(2)
    expect(thumbs.locator("img")).to_have_count(2)
    assert thumbs.nth(0).locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    thumbs.nth(1).click()
    expect(thumbs.nth(1)).to_have_attribute("aria-current", "true")
    slides = page.locator(".gallery__slides")
    page.wait_for_function("() => document.querySelector('.gallery__slides').scrollLeft > 100")
    assert slides.evaluate("el => el.scrollLeft") > 0

    # One picker: the second variant's chip; its price and stock go beside the buttons.
    bar = page.locator(".buy-bar")
    expect(bar.locator("[data-buy-price]")).to_have_text("¥88.00")
    page.locator(".chip__label", has_text="5kg 礼盒×2").click()
    expect(page.locator("input[name=variant]:checked")).to_have_count(1)
    expect(bar.locator("[data-buy-price]")).to_have_text("¥168.00")
    expect(bar.locator("[data-buy-stock]")).to_have_text(re.compile(r"有货|仅剩 \d+ 件"))

    # The counters after the description; each shows its stock of the chosen variant only.
    assert page.evaluate(
        "() => document.querySelector('.product__details').getBoundingClientRect().top"
        " < document.querySelector('.pickup').getBoundingClientRect().top"
    )
    more = page.locator(".counters-more__toggle")
    if more.count():
        more.click()
    counter = page.locator("[data-counter]:not(.counter--none)").first
    expect(counter.locator(".counter__level:visible")).to_have_count(1)
    expect(counter.locator(".counter__level:visible")).to_contain_text(re.compile(r"有货|仅剩 \d+ 件"))
    counter_id = counter.locator("input[name=counter]").get_attribute("value")
    counter_name = counter.locator(".counter__name").inner_text()
    counter.locator(".counter__label").click()
    expect(counter.locator("input[name=counter]")).to_be_checked()
    no_overflow(page)

    # The bar sits at the bottom of the screen, 44 px targets, and the page leaves room for it.
    box = bar.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - PHONE["height"]) <= 1
    add, buy_now = bar.locator("button").all()
    expect(add).to_have_text("加入购物车")
    expect(buy_now).to_have_attribute("name", "buy_now")  # "立即购买" (its translation lands with locale/)
    for button in (add, buy_now):
        expect(button).to_be_visible()
        assert button.bounding_box()["height"] >= 44 and button.bounding_box()["width"] >= 44
    page.evaluate(BOTTOM)
    assert page.evaluate(FOOTER_BOTTOM) <= bar.bounding_box()["y"] + 1

    # The counter is remembered on this phone (not by the page, which is the same for everyone): chosen again
    # when the page is opened anew.
    assert page.evaluate("() => window.localStorage.getItem('dexiu:counter')") == counter_id
    page.goto(PRODUCT)
    page.locator(".chip__label", has_text="5kg 礼盒×2").click()
    expect(page.locator(f"input[name=counter][value='{counter_id}']")).to_be_checked()
    buy_now.click()

    page.wait_for_url(re.compile(rf"/checkout/\?counter={counter_id}$"))
    expect(page.locator(".messages")).to_contain_text("贵措脐橙礼盒 5kg 礼盒×2")
    expect(page.locator("#method-pickup")).to_be_checked()
    chosen = page.locator(f"input[name=pickup_location][value='{counter_id}']")
    expect(chosen).to_be_checked()
    expect(page.locator(f"label[for=counter-{counter_id}]")).to_contain_text(counter_name.split(" · ")[0])
