"""The baseline view: no database, no session, a template about as large as the product list page."""

from django.shortcuts import render

ROWS = [
    {
        "name": f"秀山脐橙礼盒 {i}",
        "merchant": "贵措社区脐橙专业合作社",
        "price": f"¥{88 + i}.00",
        "summary": "洪安镇贵措社区3500亩果园直发，果大皮薄、酸甜多汁。" * 2,
        "url": f"/products/item-{i}/",
    }
    for i in range(40)
]


def baseline(request):
    return render(request, "bench/baseline.html", {"rows": ROWS})
