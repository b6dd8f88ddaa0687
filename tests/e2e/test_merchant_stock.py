"""A merchant counts stock in the back office and shoppers see the new availability at once."""

from playwright.sync_api import expect

from demo import data
from tests.e2e.actions import admin_login

PRODUCT = "/products/guicuo-navel-orange-taster/"
SKU = "DX-QC-2500G"


def test_merchant_stock_count_and_receipt_change_what_shoppers_see(open_page, tmp_path):
    shopper = open_page()
    shopper.goto(PRODUCT)
    expect(shopper.locator(".availability").first).to_have_class("availability availability--in_stock")

    merchant = open_page()
    admin_login(merchant, "guicuo")
    counted = tmp_path / "count.csv"
    rows = [f"{SKU},{location.code},0" for location in [data.WAREHOUSE, *data.COUNTERS]]
    counted.write_text("sku,location,on_hand\n" + "\n".join(rows) + "\n", encoding="utf-8")
    merchant.goto("/admin/stock/import/")
    merchant.set_input_files("#id_file", str(counted))
    merchant.fill("#id_reason", "季末盘点：尝鲜装已售完")
    merchant.get_by_role("button", name="导入").click()
    expect(merchant.locator(".messages")).to_be_visible()

    shopper.reload()
    expect(shopper.locator(".availability").first).to_have_class("availability availability--sold_out")
    expect(shopper.locator("form[action$='/cart/add/']")).to_have_count(0)

    merchant.goto(f"/admin/stock/?q={SKU}")
    merchant.locator("tr", has_text=data.WAREHOUSE.name).get_by_role("link", name="调整").first.click()
    merchant.select_option("#id_kind", "receive")
    merchant.fill("#id_quantity", "3")
    merchant.fill("#id_reason", "新到一批尝鲜装")
    merchant.get_by_role("button", name="保存").click()
    expect(merchant.locator(".messages")).to_contain_text(f"{SKU}")

    shopper.reload()
    expect(shopper.locator(".availability").first).to_have_class("availability availability--low")
    expect(shopper.locator(".availability").first).to_contain_text("3")
