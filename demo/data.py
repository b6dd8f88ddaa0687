"""The demo catalogue: merchants modelled on the programme's real ones, their products, and the counters.

Facts come from the programme's report (tea-oil centre: 3,000 t of seed, 600 t of oil, 50,000 亩;
贵措社区: 3,500 亩 of navel oranges, "合作社+党员+农户"; 隘口镇 brocade workshop: 320 weavers, 400+
patterns...). Names of people, phone numbers, addresses and certificate numbers are invented.
Prices are in fen.
"""

import datetime
from dataclasses import dataclass

from catalog.regions import DezhouCounty, XiushanTownship
from core import roles
from orders.institutions.credit_code import check_character

AID_ISSUER = "秀山县乡村振兴局"
STOCK_REASON = "演示数据入库"
STOCK_REFERENCE = "DEMO-LOAD"
# One batch with a trace page (/trace/<code>/): the navel oranges' opening stock at the first counter.
BATCH = {
    "code": "QC5K26XB",
    "sku": "DX-QC-5KG",
    "location": "dz-decheng",
    "origin": "洪安镇贵措社区脐橙园",
    "days_ago": 5,
}

# A gift pack of four producers' goods, below their list value (¥174.00): what unions buy for the holidays.
PACK = {
    "slug": "xiushan-nianhuo-libao",
    "name": "秀山年货礼包",
    "description": "山茶油、脐橙、脐橙果酱和土家织锦书签，四家秀山生产者的年货，一份礼包一口价。",
    "price": 15800,
    "items": [("DX-CY-500", 1), ("DX-QC-2500G", 1), ("DX-QCGJ-260", 1), ("DX-ZJ-SQ2", 1)],
}

# Each Dezhou division pairs with one Xiushan township (an illustrative assignment).
PAIRED_TOWNSHIP: dict[DezhouCounty, XiushanTownship] = {
    DezhouCounty.DECHENG: XiushanTownship.HONGAN,
    DezhouCounty.LINGCHENG: XiushanTownship.AIKOU,
    DezhouCounty.YUCHENG: XiushanTownship.GUANZHUANG,
    DezhouCounty.LAOLING: XiushanTownship.QINGXICHANG,
    DezhouCounty.LINYI: XiushanTownship.PINGKAI,
    DezhouCounty.QIHE: XiushanTownship.MEIJIANG,
    DezhouCounty.PINGYUAN: XiushanTownship.LONGCHI,
    DezhouCounty.XIAJIN: XiushanTownship.ZHONGLING,
    DezhouCounty.WUCHENG: XiushanTownship.RONGXI,
    DezhouCounty.QINGYUN: XiushanTownship.YONGDONG,
    DezhouCounty.NINGJIN: XiushanTownship.SHIYE,
}
PAIRED_COUNTY = {township: county for county, township in PAIRED_TOWNSHIP.items()}


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str
    description: str
    motif: str
    name_en: str = ""  # shown on the English site


@dataclass(frozen=True)
class DemoMerchant:
    slug: str
    name: str
    kind: str
    township: XiushanTownship
    town: str
    village: str
    households: int
    contact_name: str
    contact_phone: str
    summary: str
    story: str
    certificate: str
    valid_until: datetime.date
    marks: tuple[str, ...] = ()
    colour: tuple[int, int, int] = (170, 28, 40)
    name_en: str = ""  # shown on the English site, as is summary_en
    summary_en: str = ""

    @property
    def paired_county(self) -> DezhouCounty:
        return PAIRED_COUNTY[self.township]

    @property
    def origin(self) -> str:
        return f"重庆市秀山县{self.town}{self.village}"

    @property
    def contact_email(self) -> str:
        return f"{self.slug}@merchants.dexiu.example"


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    name: str
    price: int
    compare_at: int | None = None
    weight_grams: int = 0


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    merchant: str
    category: str
    summary: str
    story: str
    variants: tuple[DemoVariant, ...]
    season: tuple[int, int] | None = None
    shelf_life_days: int | None = None
    featured: bool = False
    published: bool = True
    marks: tuple[str, ...] = ()
    pictures: int = 1
    motif: str = ""
    name_en: str = ""  # shown on the English site, as is summary_en
    summary_en: str = ""


@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: str
    host: str
    county: str
    address: str
    opening_hours: str
    phone: str
    kind: str = "counter"

    @property
    def notification_email(self) -> str:
        return f"{self.code}@counters.dexiu.example"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    full_name: str
    merchant: str = ""
    location: str = ""


CATEGORIES = [
    DemoCategory(
        "oil-and-grain", "茶油·粮油", "冷榨山茶油、菜籽油与山区好米。", "oil", name_en="Tea oil, oils and grains"
    ),
    DemoCategory("citrus", "柑橘水果", "脐橙、沃柑、椪柑与红心柚，按季节上市。", "citrus", name_en="Citrus fruit"),
    DemoCategory("tujia-brocade", "土家织锦", "隘口镇织娘手工织造的西兰卡普。", "brocade", name_en="Tujia brocade"),
    DemoCategory(
        "medicinal-herbs", "中药材", "“武陵药都”就地杀青、烘干的道地药材。", "herbs", name_en="Medicinal herbs"
    ),
    DemoCategory(
        "vegetables", "时令蔬菜", "官庄街道示范园当季采摘、分拣包装。", "vegetables", name_en="Seasonal vegetables"
    ),
    DemoCategory("honey", "蜂蜜", "武陵山区的土蜂蜜与蜂巢蜜。", "honey", name_en="Honey"),
    DemoCategory("tea", "茶叶", "秀山毛尖、绿茶与红茶。", "tea", name_en="Tea"),
]

# Certificates of the form XSXF-<year>-<number>; one merchant's has lapsed.
MERCHANTS = [
    DemoMerchant(
        slug="xiushan-camellia-oil-centre",
        name="秀山县油茶加工中心",
        kind="company",
        township=XiushanTownship.QINGXICHANG,
        town="清溪场镇",
        village="油茶产业园",
        households=2600,
        contact_name="杨德贵",
        contact_phone="023-7662 1101",
        summary="鲁渝协作援建的油茶加工中心：年加工干茶籽3000吨、产茶油600吨，直接服务油茶基地5万亩。",
        story="山东援建资金帮秀山建起油茶加工中心，茶农的茶籽在家门口就能卖出好价钱。"
        "冷榨工艺保留茶油的清香，每一瓶都能追溯到基地和批次。",
        certificate="XSXF-2025-0101",
        valid_until=datetime.date(2031, 6, 30),
        marks=("green_food",),
        colour=(196, 140, 30),
        name_en="Xiushan County Camellia Oil Processing Centre",
        summary_en="Built with Shandong–Chongqing cooperation funds: it presses 3,000 t of dried camellia seed into "
        "600 t of oil a year and serves 50,000 mu of camellia groves.",
    ),
    DemoMerchant(
        slug="guicuo-navel-orange-cooperative",
        name="洪安镇贵措社区脐橙专业合作社",
        kind="cooperative",
        township=XiushanTownship.HONGAN,
        town="洪安镇",
        village="贵措社区",
        households=420,
        contact_name="田光明",
        contact_phone="023-7688 2202",
        summary="学习山东村党支部领办合作社经验，以“合作社+党员+农户”模式种植脐橙3500亩，年综合产值3000余万元。",
        story="贵措社区是鲁渝协作乡村振兴示范村。党员带头、农户入社，统一技术、统一品牌、统一销售，"
        "脐橙从果园直发德州。",
        certificate="XSXF-2025-0102",
        valid_until=datetime.date(2030, 12, 31),
        marks=("geographical_indication",),
        colour=(236, 110, 20),
        name_en="Guicuo Community Navel Orange Cooperative, Hong'an",
        summary_en="Modelled on Shandong's village cooperatives, it grows 3,500 mu of navel oranges as “cooperative "
        "+ party members + farming households”, worth over 30 million yuan a year.",
    ),
    DemoMerchant(
        slug="aikou-tujia-brocade-workshop",
        name="隘口镇土家织锦非遗工坊",
        kind="workshop",
        township=XiushanTownship.AIKOU,
        town="隘口镇",
        village="隘口社区",
        households=320,
        contact_name="彭春燕",
        contact_phone="023-7671 3303",
        summary="鲁渝（德秀）协作土家织锦非遗工坊：整理传统图纹400多种，320名签约织娘灵活就业。",
        story="工坊培养非遗手工技艺人才近400人，每位织娘月收入2000元至4000元，累计增收260余万元，"
        "受益家庭人口1200余人。每一件西兰卡普都由织娘在木腰机上一梭一梭织成。",
        certificate="XSXF-2025-0103",
        valid_until=datetime.date(2031, 3, 31),
        colour=(170, 28, 40),
        name_en="Aikou Tujia Brocade Heritage Workshop",
        summary_en="A Dezhou–Xiushan brocade heritage workshop: over 400 traditional patterns recorded and 320 "
        "contracted weavers working flexible hours.",
    ),
    DemoMerchant(
        slug="wuling-yaodu-herb-processing",
        name="武陵药都中药材初加工中心",
        kind="company",
        township=XiushanTownship.PINGKAI,
        town="平凯街道",
        village="中药材产业园",
        households=1100,
        contact_name="吴承志",
        contact_phone="023-7665 4404",
        summary="帮扶建设的“武陵药都”：中药材就地杀青、烘干，附加值提高20%以上。",
        story="药农采收的金银花、白术、黄精当天进厂杀青烘干，减少损耗，也把加工环节的收益留在了秀山。",
        certificate="XSXF-2025-0104",
        valid_until=datetime.date(2030, 9, 30),
        marks=("geographical_indication",),
        colour=(130, 95, 60),
        name_en="Wuling Yaodu Herb Processing Centre",
        summary_en="The partner-built “Wuling herb capital”: herbs are fixed and dried where they grow, adding over "
        "20% to their value.",
    ),
    DemoMerchant(
        slug="guanzhuang-vegetable-park",
        name="官庄街道鲁渝协作现代高效蔬菜产业示范园",
        kind="company",
        township=XiushanTownship.GUANZHUANG,
        town="官庄街道",
        village="鲁渝协作蔬菜产业示范园",
        households=300,
        contact_name="张斌",
        contact_phone="023-7669 5505",
        summary="占地400余亩，“四区两馆一中心”：种苗繁育、种植示范、分拣包装、瓜果采摘。",
        story="示范园计划扩展种植基地1500亩，年产有机绿色果蔬2100吨，带动300人以上就近就业。"
        "蔬菜清晨采摘、当日分拣，冷链发往德州。",
        certificate="XSXF-2025-0105",
        valid_until=datetime.date(2030, 6, 30),
        marks=("green_food", "organic"),
        colour=(60, 140, 60),
        name_en="Guanzhuang Shandong–Chongqing Vegetable Demonstration Park",
        summary_en="Over 400 mu with a seedling nursery, demonstration fields, sorting and packing, and "
        "pick-your-own fruit and vegetables.",
    ),
    DemoMerchant(
        slug="meijiang-citrus-cooperative",
        name="梅江镇柑橘种植专业合作社",
        kind="cooperative",
        township=XiushanTownship.MEIJIANG,
        town="梅江镇",
        village="柑橘加工仓储中心片区",
        households=1800,
        contact_name="龙建华",
        contact_phone="023-7673 6606",
        summary="依托帮扶建设的柑橘加工仓储中心，分级、打蜡、冷藏后错峰上市。",
        story="柑橘加工仓储中心带动20余个乡镇10万余户果农发展柑橘产业。合作社的沃柑、椪柑和红心柚"
        "经仓储中心分级后销往德州。",
        certificate="XSXF-2025-0106",
        valid_until=datetime.date(2031, 1, 31),
        colour=(250, 150, 30),
        name_en="Meijiang Citrus Growers' Cooperative",
        summary_en="Graded, waxed and cold-stored at the partner-built citrus centre, then sold after the seasonal "
        "glut.",
    ),
    DemoMerchant(
        slug="yongdong-mountain-honey",
        name="涌洞乡秀山土蜂蜜专业合作社",
        kind="cooperative",
        township=XiushanTownship.YONGDONG,
        town="涌洞乡",
        village="川河村",
        households=260,
        contact_name="石秀英",
        contact_phone="023-7677 7707",
        summary="武陵山深处的中华蜂，一年只取一次成熟蜜。",
        story="合作社为蜂农统一提供蜂箱和技术培训，成熟封盖后才取蜜，不浓缩、不添加。",
        certificate="XSXF-2025-0107",
        valid_until=datetime.date(2030, 10, 31),
        marks=("green_food",),
        colour=(200, 120, 20),
        name_en="Yongdong Xiushan Wild Honey Cooperative",
        summary_en="Chinese honeybees deep in the Wuling Mountains; the ripe honey is taken only once a year.",
    ),
    DemoMerchant(
        slug="zhongling-maojian-tea",
        name="钟灵镇秀山毛尖茶业有限公司",
        kind="company",
        township=XiushanTownship.ZHONGLING,
        town="钟灵镇",
        village="凯堡村",
        households=680,
        contact_name="白云峰",
        contact_phone="023-7679 8808",
        summary="高山云雾出好茶：明前采摘的秀山毛尖，条索紧细、香气清高。",
        story="公司与茶农签订收购协议，统一标准采摘，带动茶农户均增收。",
        certificate="XSXF-2025-0108",
        valid_until=datetime.date(2031, 4, 30),
        marks=("geographical_indication",),
        colour=(60, 120, 50),
        name_en="Zhongling Xiushan Maojian Tea Company",
        summary_en="Good tea from misty mountains: Xiushan Maojian picked before Qingming, with tight, fine leaves "
        "and a clear, high fragrance.",
    ),
    DemoMerchant(
        slug="rongxi-grain-cooperative",
        name="溶溪镇生态粮油专业合作社",
        kind="cooperative",
        township=XiushanTownship.RONGXI,
        town="溶溪镇",
        village="红光社区",
        households=540,
        contact_name="杨再兴",
        contact_phone="023-7681 9909",
        summary="梯田稻米、压榨菜籽油和手工红薯粉条。",
        story="合作社的帮扶产品认定已到期，正在重新申报。",
        certificate="XSXF-2023-0109",
        valid_until=datetime.date(2025, 6, 30),
        colour=(180, 150, 100),
        name_en="Rongxi Eco Grain and Oil Cooperative",
        summary_en="Terrace-grown rice, pressed rapeseed oil and hand-made sweet potato vermicelli.",
    ),
]

V = DemoVariant

PRODUCTS = [
    # 秀山县油茶加工中心
    DemoProduct(
        "xiushan-wild-camellia-oil",
        "秀山野生山茶油",
        "xiushan-camellia-oil-centre",
        "oil-and-grain",
        "野生油茶籽冷榨，一级压榨，烟点高、清香不腻。",
        "武陵山区野生油茶林的茶籽，在加工中心低温冷榨、物理过滤。",
        (
            V("DX-CY-500", "500ml 瓶装", 6800, weight_grams=950),
            V("DX-CY-1L", "1L 瓶装", 12800, 14800, 1800),
            V("DX-CY-5L", "5L 桶装", 56800, weight_grams=4900),
        ),
        shelf_life_days=540,
        featured=True,
        marks=("green_food",),
        pictures=2,
        name_en="Xiushan wild camellia oil",
        summary_en="Cold-pressed from wild camellia seed, first pressing: a high smoke point and a clean, light taste.",
    ),
    DemoProduct(
        "camellia-oil-gift-box",
        "冷榨山茶油礼盒",
        "xiushan-camellia-oil-centre",
        "oil-and-grain",
        "两瓶装礼盒，送长辈的健康心意。",
        "礼盒内含两瓶500ml冷榨山茶油，附产地溯源卡。",
        (V("DX-CYLH-2X500", "500ml×2 礼盒", 16800, 19800, 2200),),
        shelf_life_days=540,
        name_en="Cold-pressed camellia oil gift box",
        summary_en="Two bottles in a gift box: a healthy present for older relatives.",
    ),
    DemoProduct(
        "camellia-oil-small-bottles",
        "山茶油便携装",
        "xiushan-camellia-oil-centre",
        "oil-and-grain",
        "250ml小瓶，尝鲜或随手送人。",
        "小瓶装方便尝鲜，开瓶后三个月内用完风味最佳。",
        (V("DX-CY-250", "250ml", 3900, weight_grams=480), V("DX-CY-250X3", "250ml×3", 10800, weight_grams=1400)),
        shelf_life_days=540,
        name_en="Camellia oil in small bottles",
        summary_en="250 ml bottles, to try it or to give away.",
    ),
    DemoProduct(
        "camellia-seed-powder",
        "茶籽粉",
        "xiushan-camellia-oil-centre",
        "oil-and-grain",
        "榨油后的茶籽饼研磨而成，天然洗护好帮手。",
        "茶籽饼低温研磨，可用于洗碗、洗发，温和不伤手。",
        (V("DX-CZF-500", "500g 袋装", 2800, weight_grams=520),),
        shelf_life_days=365,
        name_en="Camellia seed powder",
        summary_en="Ground from the seed cake left after pressing: a natural cleaner for dishes and hair.",
    ),
    # 贵措社区脐橙专业合作社
    DemoProduct(
        "guicuo-navel-orange-gift-5kg",
        "贵措脐橙礼盒 5kg",
        "guicuo-navel-orange-cooperative",
        "citrus",
        "洪安镇贵措社区3500亩果园直发，果大皮薄、酸甜多汁。",
        "“合作社+党员+农户”模式种出的脐橙，树上自然成熟再采摘，每一箱都经过分级挑选。",
        (V("DX-QC-5KG", "5kg 礼盒", 8800, 9800, 5400), V("DX-QC-5KG-X2", "5kg 礼盒×2", 16800, weight_grams=10800)),
        season=(11, 2),
        shelf_life_days=30,
        featured=True,
        marks=("geographical_indication",),
        pictures=2,
        name_en="Guicuo navel oranges, 5 kg gift box",
        summary_en="Straight from Guicuo's 3,500 mu of orchards in Hong'an: large, thin-skinned, sweet, tangy and "
        "juicy.",
    ),
    DemoProduct(
        "guicuo-navel-orange-family-10kg",
        "贵措脐橙家庭装 10kg",
        "guicuo-navel-orange-cooperative",
        "citrus",
        "家庭分享装，中果为主，性价比之选。",
        "与礼盒同一片果园，规格稍小，适合家庭日常食用。",
        (V("DX-QC-10KG", "10kg 家庭装", 12800, weight_grams=10500),),
        season=(11, 2),
        shelf_life_days=30,
        name_en="Guicuo navel oranges, 10 kg family box",
        summary_en="A family box of mostly medium-sized fruit: good value.",
    ),
    DemoProduct(
        "guicuo-navel-orange-taster",
        "贵措脐橙尝鲜装 2.5kg",
        "guicuo-navel-orange-cooperative",
        "citrus",
        "第一次买？先来一小箱尝尝。",
        "精选8至10个大果，尝鲜价包邮到德州。",
        (V("DX-QC-2500G", "2.5kg 尝鲜装", 4900, weight_grams=2700),),
        season=(11, 2),
        shelf_life_days=30,
        name_en="Guicuo navel oranges, 2.5 kg taster box",
        summary_en="Buying for the first time? Try a small box first.",
    ),
    DemoProduct(
        "navel-orange-dried-slices",
        "脐橙果干",
        "guicuo-navel-orange-cooperative",
        "citrus",
        "整片低温烘干，保留果皮清香。",
        "次级果切片低温烘干，不加糖，是合作社延长产业链的新产品。",
        (V("DX-QCGG-200", "200g", 2600, weight_grams=220), V("DX-QCGG-200X3", "200g×3", 6800, 7800, 650)),
        shelf_life_days=270,
        name_en="Dried navel orange slices",
        summary_en="Whole slices dried at a low temperature, keeping the fresh scent of the peel.",
    ),
    DemoProduct(
        "navel-orange-marmalade",
        "脐橙果酱",
        "guicuo-navel-orange-cooperative",
        "citrus",
        "果肉与果皮一起熬煮，涂面包、冲水都好。",
        "手工熬制，小批量生产。",
        (V("DX-QCGJ-260", "260g 瓶装", 2800, weight_grams=420),),
        shelf_life_days=365,
        name_en="Navel orange marmalade",
        summary_en="Flesh and peel cooked together: spread it on bread or stir it into hot water.",
    ),
    # 隘口镇土家织锦非遗工坊
    DemoProduct(
        "tujia-brocade-scarf",
        "土家织锦围巾",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "传统“台台花”纹样，织娘手工织造。",
        "每条围巾需要一位织娘织三到四天，纹样取自工坊整理的400多种传统图纹。",
        (
            V("DX-ZJ-WJ-RED", "朱红 · 180×35cm", 26800, weight_grams=260),
            V("DX-ZJ-WJ-BLK", "玄黑 · 180×35cm", 26800, weight_grams=260),
        ),
        featured=True,
        pictures=2,
        name_en="Tujia brocade scarf",
        summary_en="The traditional “taitai flower” pattern, woven by hand.",
    ),
    DemoProduct(
        "xilankapu-wall-hanging",
        "西兰卡普挂毯",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "土家族“打花铺盖”，挂在客厅就是一件非遗作品。",
        "通经断纬的挑织技法，正反两面花纹相同。",
        (V("DX-ZJ-GT-S", "60×90cm", 58800, 68800, 900), V("DX-ZJ-GT-L", "90×150cm", 128800, weight_grams=2100)),
        pictures=2,
        name_en="Xilankapu brocade wall hanging",
        summary_en="The Tujia “flowered coverlet”: a piece of living heritage for your living room.",
    ),
    DemoProduct(
        "tujia-brocade-tote-bag",
        "土家织锦手提包",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "织锦面料配帆布内衬，日常通勤也能用。",
        "包面为手工织锦，内衬与提手由工坊缝制。",
        (V("DX-ZJ-BAG", "标准款", 19800, weight_grams=500),),
        name_en="Tujia brocade tote bag",
        summary_en="Brocade outside, canvas lining inside: made for the daily commute.",
    ),
    DemoProduct(
        "tujia-brocade-coasters",
        "织锦杯垫四件套",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "四种纹样各一，茶桌上的土家风情。",
        "边角料再利用的小件，新手织娘练手的作品。",
        (V("DX-ZJ-BD4", "四件套", 6800, weight_grams=150),),
        name_en="Brocade coasters, set of four",
        summary_en="One of each of four patterns: Tujia style for the tea table.",
    ),
    DemoProduct(
        "tujia-brocade-bookmarks",
        "织锦书签",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "小小书签，带走一段非遗。",
        "适合作为会议和研学伴手礼。",
        (V("DX-ZJ-SQ2", "两枚装", 2900, weight_grams=30), V("DX-ZJ-SQ5", "五枚礼盒", 6800, weight_grams=90)),
        name_en="Brocade bookmarks",
        summary_en="A small bookmark carrying a piece of living heritage.",
    ),
    DemoProduct(
        "tujia-brocade-cushion-cover",
        "织锦抱枕套",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "“阳雀花”纹样抱枕套，不含枕芯。",
        "纯棉经线、羊毛纬线，手感厚实。",
        (V("DX-ZJ-BZ45", "45×45cm", 15800, weight_grams=350),),
        name_en="Brocade cushion cover",
        summary_en="A cushion cover in the “yangque flower” pattern; cushion not included.",
    ),
    DemoProduct(
        "tujia-brocade-tea-runner-custom",
        "织锦茶旗（定制）",
        "aikou-tujia-brocade-workshop",
        "tujia-brocade",
        "按尺寸和纹样定制，工期约三周。",
        "定制流程仍在整理，暂未上架。",
        (V("DX-ZJ-CQ-DZ", "定制款", 39800, weight_grams=300),),
        published=False,
        name_en="Brocade tea table runner (made to order)",
        summary_en="Made to your size and pattern in about three weeks.",
    ),
    # 武陵药都中药材初加工中心
    DemoProduct(
        "xiushan-honeysuckle",
        "秀山金银花",
        "wuling-yaodu-herb-processing",
        "medicinal-herbs",
        "花蕾期采摘、就地杀青烘干，色泽青白。",
        "秀山是金银花主产区，花蕾当天采收当天杀青，保留绿原酸。",
        (V("DX-JYH-50", "50g 罐装", 3800, weight_grams=180), V("DX-JYH-250", "250g 袋装", 14800, weight_grams=280)),
        shelf_life_days=730,
        featured=True,
        marks=("geographical_indication",),
        name_en="Xiushan honeysuckle flowers",
        summary_en="Picked in bud, then fixed and dried on the spot: pale green-white.",
    ),
    DemoProduct(
        "xiushan-atractylodes",
        "秀山白术片",
        "wuling-yaodu-herb-processing",
        "medicinal-herbs",
        "道地白术，切片烘干。",
        "白术根茎洗净、切片、低温烘干，片形完整。",
        (V("DX-BZ-250", "250g", 4800, weight_grams=270), V("DX-BZ-500", "500g", 8800, weight_grams=530)),
        shelf_life_days=730,
        marks=("geographical_indication",),
        name_en="Xiushan atractylodes slices (baizhu)",
        summary_en="Authentic atractylodes root, sliced and dried.",
    ),
    DemoProduct(
        "nine-steamed-polygonatum",
        "九制黄精",
        "wuling-yaodu-herb-processing",
        "medicinal-herbs",
        "九蒸九晒，软糯回甘。",
        "林下种植的多花黄精，传统九蒸九晒工艺。",
        (V("DX-HJ-250", "250g", 9800, 11800, 280),),
        shelf_life_days=540,
        name_en="Nine-times-steamed Solomon's seal (huangjing)",
        summary_en="Steamed and sun-dried nine times: soft, chewy and sweet on the finish.",
    ),
    DemoProduct(
        "eucommia-leaf-tea",
        "杜仲叶茶",
        "wuling-yaodu-herb-processing",
        "medicinal-herbs",
        "杜仲嫩叶杀青揉捻，代茶饮。",
        "采摘春季嫩叶，按绿茶工艺加工。",
        (V("DX-DZC-100", "100g", 3600, weight_grams=130),),
        shelf_life_days=540,
        name_en="Eucommia leaf tea",
        summary_en="Young eucommia leaves, fixed and rolled, brewed like tea.",
    ),
    DemoProduct(
        "gastrodia-slices",
        "天麻切片",
        "wuling-yaodu-herb-processing",
        "medicinal-herbs",
        "冬麻切片，炖汤佳品。",
        "冬季采挖的天麻，蒸透后切片烘干。",
        (V("DX-TM-100", "100g", 8800, weight_grams=130),),
        shelf_life_days=730,
        name_en="Gastrodia slices (tianma)",
        summary_en="Winter-dug gastrodia, sliced: a classic for soups.",
    ),
    # 官庄街道蔬菜产业示范园
    DemoProduct(
        "organic-tomatoes",
        "有机西红柿",
        "guanzhuang-vegetable-park",
        "vegetables",
        "示范园大棚种植，自然转色后采摘。",
        "采用山东寿光的设施栽培技术，生物防虫，沙瓤多汁。",
        (V("DX-XHS-2500", "2.5kg 箱装", 3980, weight_grams=2700), V("DX-XHS-5KG", "5kg 箱装", 6980, weight_grams=5300)),
        season=(5, 10),
        shelf_life_days=10,
        marks=("organic",),
        name_en="Organic tomatoes",
        summary_en="Grown in the demonstration park's greenhouses and picked once ripe on the vine.",
    ),
    DemoProduct(
        "mini-cucumbers",
        "水果黄瓜",
        "guanzhuang-vegetable-park",
        "vegetables",
        "无刺小黄瓜，生吃清脆。",
        "智能温室种植，早上采摘当天分拣。",
        (V("DX-HG-2KG", "2kg 箱装", 2980, weight_grams=2200),),
        season=(4, 10),
        shelf_life_days=7,
        name_en="Mini cucumbers",
        summary_en="Small spineless cucumbers, crisp enough to eat raw.",
    ),
    DemoProduct(
        "seasonal-vegetable-box",
        "示范园时令蔬菜箱",
        "guanzhuang-vegetable-park",
        "vegetables",
        "当季什么好吃就装什么，每周配送。",
        "由示范园分拣包装区按季节搭配，冷链发往德州专柜。",
        (
            V("DX-SCX-8", "8 种混装 · 4kg", 6800, weight_grams=4300),
            V("DX-SCX-12", "12 种混装 · 6kg", 9800, 10800, 6400),
        ),
        shelf_life_days=7,
        featured=True,
        marks=("green_food",),
        pictures=2,
        name_en="Seasonal vegetable box from the demonstration park",
        summary_en="Whatever is best this season, packed and delivered every week.",
    ),
    DemoProduct(
        "cherry-tomatoes",
        "圣女果",
        "guanzhuang-vegetable-park",
        "vegetables",
        "小番茄，甜度高。",
        "采摘区开放时也可以到园里自己摘。",
        (V("DX-SNG-1500", "1.5kg", 3680, weight_grams=1650),),
        season=(5, 11),
        shelf_life_days=10,
        name_en="Cherry tomatoes",
        summary_en="Small tomatoes, very sweet.",
    ),
    DemoProduct(
        "highland-sweet-peppers",
        "高山甜椒",
        "guanzhuang-vegetable-park",
        "vegetables",
        "红黄绿三色甜椒，果肉厚。",
        "海拔较高的新品种试验示范区出品。",
        (V("DX-TJ-2KG", "2kg", 2880, weight_grams=2150),),
        season=(6, 10),
        shelf_life_days=14,
        name_en="Highland sweet peppers",
        summary_en="Red, yellow and green sweet peppers with thick flesh.",
    ),
    DemoProduct(
        "summer-vegetable-box",
        "夏季时令蔬菜箱",
        "guanzhuang-vegetable-park",
        "vegetables",
        "夏季限定搭配，筹备中。",
        "搭配方案还在试验，暂未上架。",
        (V("DX-XJX-5KG", "5kg", 7800, weight_grams=5300),),
        season=(6, 8),
        shelf_life_days=7,
        published=False,
        name_en="Summer vegetable box",
        summary_en="A summer-only selection, coming soon.",
    ),
    # 梅江镇柑橘种植专业合作社
    DemoProduct(
        "xiushan-orah-mandarin",
        "秀山沃柑",
        "meijiang-citrus-cooperative",
        "citrus",
        "春节后上市，化渣爆汁。",
        "仓储中心分级后冷藏，错峰上市。",
        (V("DX-WG-2500", "2.5kg", 3880, weight_grams=2700), V("DX-WG-5KG", "5kg", 6980, weight_grams=5400)),
        season=(1, 4),
        shelf_life_days=30,
        name_en="Xiushan Orah mandarins",
        summary_en="In season after the Spring Festival: tender and bursting with juice.",
    ),
    DemoProduct(
        "xiushan-ponkan",
        "秀山椪柑",
        "meijiang-citrus-cooperative",
        "citrus",
        "好剥皮的老品种，酸甜适口。",
        "果园在梅江河谷，昼夜温差大。",
        (V("DX-PG-5KG", "5kg", 5480, weight_grams=5400),),
        season=(11, 1),
        shelf_life_days=30,
        name_en="Xiushan ponkan mandarins",
        summary_en="An old, easy-peeling variety, sweet and tangy.",
    ),
    DemoProduct(
        "red-pomelo",
        "红心蜜柚",
        "meijiang-citrus-cooperative",
        "citrus",
        "红瓤多汁，放得住的年货。",
        "果皮完好可存放一个多月。",
        (
            V("DX-MY-2", "2 个装 · 约 3kg", 4680, weight_grams=3200),
            V("DX-MY-4", "4 个装 · 约 6kg", 8280, weight_grams=6300),
        ),
        season=(9, 12),
        shelf_life_days=45,
        featured=True,
        name_en="Red honey pomelo",
        summary_en="Juicy red flesh, and it keeps well: a New Year favourite.",
    ),
    DemoProduct(
        "rock-sugar-orange",
        "冰糖橙",
        "meijiang-citrus-cooperative",
        "citrus",
        "甜度高、酸度低，老人孩子都爱吃。",
        "分级后只选中大果。",
        (V("DX-BTC-5KG", "5kg", 5980, 6980, 5400),),
        season=(11, 1),
        shelf_life_days=30,
        name_en="Rock sugar oranges",
        summary_en="Very sweet and low in acid: loved by grandparents and children alike.",
    ),
    DemoProduct(
        "citrus-variety-gift-box",
        "柑橘鲜果礼盒",
        "meijiang-citrus-cooperative",
        "citrus",
        "沃柑、椪柑、脐橙三拼，一次尝遍秀山柑橘。",
        "与贵措社区合作社联合组盒。",
        (V("DX-GJ-LH6", "三拼 6kg", 11800, weight_grams=6500),),
        season=(11, 3),
        shelf_life_days=30,
        pictures=2,
        name_en="Citrus gift box",
        summary_en="Orah mandarins, ponkans and navel oranges: Xiushan's citrus in one box.",
    ),
    # 涌洞乡秀山土蜂蜜专业合作社
    DemoProduct(
        "xiushan-wild-honey",
        "秀山土蜂蜜",
        "yongdong-mountain-honey",
        "honey",
        "中华蜂百花成熟蜜，一年一取。",
        "蜂箱放在海拔800米以上的山林，蜂蜜成熟封盖后才摇取。",
        (V("DX-FM-500", "500g 瓶装", 8800, weight_grams=700), V("DX-FM-1KG", "1kg 瓶装", 16800, 18800, 1300)),
        shelf_life_days=730,
        featured=True,
        marks=("green_food",),
        pictures=2,
        name_en="Xiushan wild mountain honey",
        summary_en="Ripe wildflower honey from Chinese honeybees, harvested once a year.",
    ),
    DemoProduct(
        "wildflower-honey",
        "百花蜜",
        "yongdong-mountain-honey",
        "honey",
        "日常冲饮的实惠之选。",
        "春夏季多种野花蜜源。",
        (V("DX-BHM-500", "500g", 5800, weight_grams=700),),
        shelf_life_days=730,
        name_en="Wildflower honey",
        summary_en="Good value for everyday honey drinks.",
    ),
    DemoProduct(
        "raw-honeycomb",
        "原生蜂巢蜜",
        "yongdong-mountain-honey",
        "honey",
        "连巢带蜜，可以嚼着吃。",
        "整块蜂巢切割装盒，保留蜂蜡。",
        (V("DX-FC-500", "500g 盒装", 12800, weight_grams=650),),
        shelf_life_days=365,
        name_en="Raw honeycomb",
        summary_en="Honey still in the comb: you can chew it.",
    ),
    DemoProduct(
        "honey-pomelo-tea",
        "蜂蜜柚子茶",
        "yongdong-mountain-honey",
        "honey",
        "土蜂蜜加红心柚果皮果肉。",
        "与梅江镇柑橘合作社合作的跨村产品。",
        (V("DX-FMYZ-1KG", "1kg 罐装", 4800, weight_grams=1250),),
        shelf_life_days=540,
        name_en="Honey pomelo tea",
        summary_en="Wild honey with red pomelo peel and flesh.",
    ),
    # 钟灵镇秀山毛尖茶业有限公司
    DemoProduct(
        "xiushan-maojian-premium",
        "秀山毛尖·明前特级",
        "zhongling-maojian-tea",
        "tea",
        "清明前一芽一叶初展，条索紧细、香气清高。",
        "钟灵镇高山茶园手工采摘，当天杀青、揉捻、烘焙。",
        (
            V("DX-MJ-50", "50g 罐装", 9800, weight_grams=160),
            V("DX-MJ-100", "100g 礼罐", 18800, 21800, 300),
            V("DX-MJ-250", "250g 礼盒", 42800, weight_grams=650),
        ),
        shelf_life_days=540,
        featured=True,
        marks=("geographical_indication",),
        pictures=2,
        name_en="Xiushan Maojian, premium pre-Qingming",
        summary_en="One bud and one leaf picked before Qingming: tight, fine leaves and a clear, high fragrance.",
    ),
    DemoProduct(
        "xiushan-green-tea",
        "秀山绿茶",
        "zhongling-maojian-tea",
        "tea",
        "春茶，口粮之选。",
        "谷雨前后采摘，滋味醇厚耐泡。",
        (V("DX-LC-250", "250g", 6800, weight_grams=300),),
        shelf_life_days=540,
        name_en="Xiushan green tea",
        summary_en="Spring tea for every day.",
    ),
    DemoProduct(
        "xiushan-black-tea",
        "秀山红茶",
        "zhongling-maojian-tea",
        "tea",
        "蜜香红茶，汤色红亮。",
        "夏秋茶青制作，全发酵。",
        (V("DX-HC-100", "100g", 5800, weight_grams=150), V("DX-HC-250", "250g", 12800, weight_grams=320)),
        shelf_life_days=720,
        name_en="Xiushan black tea",
        summary_en="Honey-scented black tea with a bright red liquor.",
    ),
    DemoProduct(
        "highland-cloud-mist-tea",
        "高山云雾茶",
        "zhongling-maojian-tea",
        "tea",
        "云雾缭绕的高山茶园出品。",
        "海拔900米以上茶园，年产量有限。",
        (V("DX-YW-100", "100g", 7800, weight_grams=150),),
        shelf_life_days=540,
        name_en="Highland cloud and mist tea",
        summary_en="From mountain tea gardens wrapped in cloud and mist.",
    ),
    DemoProduct(
        "tea-tasting-gift-box",
        "茶叶品鉴礼盒",
        "zhongling-maojian-tea",
        "tea",
        "毛尖、绿茶、红茶各一罐。",
        "适合第一次认识秀山茶的朋友。",
        (V("DX-CLH-3X50", "3×50g", 16800, weight_grams=520),),
        shelf_life_days=540,
        name_en="Tea tasting gift box",
        summary_en="One tin each of Maojian, green tea and black tea.",
    ),
    # 溶溪镇生态粮油专业合作社
    DemoProduct(
        "xiushan-terrace-rice",
        "秀山梯田米",
        "rongxi-grain-cooperative",
        "oil-and-grain",
        "一季稻，米香浓。",
        "梯田种植，山泉灌溉，当季新米。",
        (V("DX-DM-5KG", "5kg 袋装", 6800, weight_grams=5100), V("DX-DM-10KG", "10kg 袋装", 12800, weight_grams=10200)),
        shelf_life_days=365,
        motif="grain",
        name_en="Xiushan terrace rice",
        summary_en="Single-crop rice with a rich aroma.",
    ),
    DemoProduct(
        "pressed-rapeseed-oil",
        "压榨菜籽油",
        "rongxi-grain-cooperative",
        "oil-and-grain",
        "小榨浓香，炒菜香。",
        "本地油菜籽物理压榨。",
        (V("DX-CZY-5L", "5L", 9800, weight_grams=4800),),
        shelf_life_days=540,
        name_en="Pressed rapeseed oil",
        summary_en="Pressed in small batches, with a rich aroma for stir-frying.",
    ),
    DemoProduct(
        "sweet-potato-vermicelli",
        "红薯粉条",
        "rongxi-grain-cooperative",
        "oil-and-grain",
        "手工漏粉、自然晾晒。",
        "冬季农闲时手工制作。",
        (V("DX-FT-500", "500g", 2200, weight_grams=520), V("DX-FT-1KG", "1kg", 3900, weight_grams=1030)),
        shelf_life_days=365,
        motif="grain",
        name_en="Sweet potato vermicelli",
        summary_en="Made by hand and dried in the open air.",
    ),
    DemoProduct(
        "highland-glutinous-rice",
        "高山糯米",
        "rongxi-grain-cooperative",
        "oil-and-grain",
        "包粽子、打糍粑的好糯米。",
        "海拔较高的梯田种植。",
        (V("DX-NM-2500", "2.5kg", 3600, weight_grams=2550),),
        shelf_life_days=365,
        motif="grain",
        name_en="Highland glutinous rice",
        summary_en="Sticky rice for zongzi and ciba rice cakes.",
    ),
]

COUNTERS = [
    DemoLocation(
        "dz-decheng",
        "德百超市·秀山专柜（德城区）",
        "德百超市（新湖店）",
        DezhouCounty.DECHENG,
        "山东省德州市德城区湖滨北大道德百超市一层",
        "08:30–21:00",
        "0534-2261 001",
    ),
    DemoLocation(
        "dz-lingcheng",
        "银座超市·秀山专柜（陵城区）",
        "银座超市（陵城店）",
        DezhouCounty.LINGCHENG,
        "山东省德州市陵城区中兴大街银座超市一层",
        "08:30–21:00",
        "0534-8221 002",
    ),
    DemoLocation(
        "dz-yucheng",
        "禹城农贸市场·秀山专柜（禹城市）",
        "禹城市中心农贸市场",
        DezhouCounty.YUCHENG,
        "山东省德州市禹城市行政街农贸市场东区",
        "06:00–18:30",
        "0534-7211 003",
    ),
    DemoLocation(
        "dz-laoling",
        "华联超市·秀山专柜（乐陵市）",
        "华联超市（乐陵店）",
        DezhouCounty.LAOLING,
        "山东省德州市乐陵市振兴大街华联超市二层",
        "08:30–21:00",
        "0534-6211 004",
    ),
    DemoLocation(
        "dz-linyi",
        "德百超市·秀山专柜（临邑县）",
        "德百超市（临邑店）",
        DezhouCounty.LINYI,
        "山东省德州市临邑县恒源路德百超市一层",
        "08:30–21:00",
        "0534-4211 005",
    ),
    DemoLocation(
        "dz-qihe",
        "银座超市·秀山专柜（齐河县）",
        "银座超市（齐河店）",
        DezhouCounty.QIHE,
        "山东省德州市齐河县齐晏大街银座超市一层",
        "08:30–21:30",
        "0534-5311 006",
    ),
    DemoLocation(
        "dz-pingyuan",
        "平原农产品批发市场·秀山专柜（平原县）",
        "平原县农产品批发市场",
        DezhouCounty.PINGYUAN,
        "山东省德州市平原县龙门街农产品批发市场A区",
        "05:30–18:00",
        "0534-4221 007",
    ),
    DemoLocation(
        "dz-xiajin",
        "德百超市·秀山专柜（夏津县）",
        "德百超市（夏津店）",
        DezhouCounty.XIAJIN,
        "山东省德州市夏津县银城路德百超市一层",
        "08:30–21:00",
        "0534-3211 008",
    ),
    DemoLocation(
        "dz-wucheng",
        "华联商厦·秀山专柜（武城县）",
        "华联商厦（武城店）",
        DezhouCounty.WUCHENG,
        "山东省德州市武城县广运街华联商厦负一层",
        "09:00–21:00",
        "0534-6311 009",
    ),
    DemoLocation(
        "dz-qingyun",
        "庆云农贸中心·秀山专柜（庆云县）",
        "庆云县农贸中心",
        DezhouCounty.QINGYUN,
        "山东省德州市庆云县中心街农贸中心北区",
        "06:00–19:00",
        "0534-3321 010",
    ),
    DemoLocation(
        "dz-ningjin",
        "银座超市·秀山专柜（宁津县）",
        "银座超市（宁津店）",
        DezhouCounty.NINGJIN,
        "山东省德州市宁津县津城街银座超市一层",
        "08:30–21:00",
        "0534-5211 011",
    ),
]

WAREHOUSE = DemoLocation(
    "xs-origin",
    "秀山产地仓",
    "",
    "",
    "重庆市秀山土家族苗族自治县乌杨街道物流园区3号库",
    "08:00–18:00",
    "023-7660 0000",
    kind="warehouse",
)

MODERATORS = "Moderators"  # created by Wagtail's migrations

USERS = [
    DemoUser("operator", "demo-operator", roles.OPERATORS, "王敏"),
    DemoUser("guicuo", "demo-guicuo", roles.MERCHANTS, "田光明", merchant="guicuo-navel-orange-cooperative"),
    DemoUser("brocade", "demo-brocade", roles.MERCHANTS, "彭春燕", merchant="aikou-tujia-brocade-workshop"),
    DemoUser("editor", "demo-editor", roles.EDITORS, "李晓雯"),
    DemoUser("moderator", "demo-moderator", MODERATORS, "赵立新"),
    DemoUser("counter", "demo-counter", roles.COUNTER_STAFF, "孙丽", location="dz-decheng"),
]

# Search synonyms: the everyday words shoppers type and the catalogue's words they also mean (the
# operators keep them under Catalogue → Search synonyms). Loaded here rather than by a migration: they
# are content about this catalogue, which operators own and change, not part of the schema; a migration
# would put them into every database (production and each test) whether or not it sells oranges.
# ``load_demo`` creates the missing ones and leaves the operators' edits alone.
SYNONYMS = [
    ("橙子", "脐橙 冰糖橙 柑橘"),
    ("橘子", "柑橘 椪柑 沃柑"),
    ("桔子", "柑橘 椪柑 沃柑"),
    ("柚子", "蜜柚"),
    ("番茄", "西红柿 圣女果"),
    ("小番茄", "圣女果"),
    ("青椒", "甜椒"),
    ("彩椒", "甜椒"),
    ("茶籽油", "山茶油 茶油"),
    ("油茶", "山茶油 茶籽"),
    ("食用油", "山茶油 菜籽油"),
    ("大米", "梯田米 糯米"),
    ("粉丝", "粉条"),
    ("围脖", "围巾"),
    ("土家锦", "织锦 西兰卡普"),
    ("明前茶", "毛尖 明前"),
]


# A verified trade union that buys the gift pack for its staff (以购代捐), with a member per role (demo logins,
# like ``USERS``), an annual target and one bulk order to a few recipients, paid, so its purchases report shows
# figures. Loaded with the demo users only (the union is registered, and its order placed, by them).
INSTITUTION_CODE_BODY = "81371400MC5847263"  # 登记管理部门 8 (工会), 371400 德州市; invented
INSTITUTION = {
    "kind": "union",
    "name": "德州市总工会",
    "credit_code": INSTITUTION_CODE_BODY + check_character(INSTITUTION_CODE_BODY),
    "invoice_title": "德州市总工会",
    "contact_name": "周静",
    "contact_phone": "13953412086",
    "contact_email": "union@dexiu.example",
    "approval_threshold": 1_000_000,  # orders above ¥10,000.00 need the approver
    "annual_target": 5_000_000,  # ¥50,000.00 of certified aid products a year
}
INSTITUTION_ADDRESS = {
    "label": "工会机关",
    "recipient": "周静",
    "phone": "13953412086",
    "province": "山东省",
    "city": "德州市",
    "district": "德城区",
    "street": "东风中路1566号",
}


@dataclass(frozen=True)
class DemoMember:
    username: str
    password: str
    full_name: str
    role: str  # orders.Membership.Role


INSTITUTION_MEMBERS = [
    DemoMember("union-buyer", "demo-union-buyer", "周静", "buyer"),
    DemoMember("union-approver", "demo-union-approver", "马国强", "approver"),
    DemoMember("union-finance", "demo-union-finance", "高燕", "finance"),
]
# The union's bulk order: one demo gift pack (``PACK``) to each recipient, paid; found again by its note.
INSTITUTION_ORDER_NOTE = "春节职工慰问（演示）"
INSTITUTION_PAYMENT_REFERENCE = "DEMO-GH-0001"
INSTITUTION_RECIPIENTS = [
    ("李红梅", "13905341101", "山东省", "德州市", "德城区", "新华街道湖滨南大道101号"),
    ("王建军", "13905341102", "山东省", "德州市", "陵城区", "安德街道府前街22号"),
    ("张丽", "13905341103", "山东省", "德州市", "禹城市", "市中街道行政街8号"),
]

# Campaign tools (issue 20), each made once and then left alone (their dates follow the day the demo was loaded).
# A consumption-voucher batch funded by the programme, for certified aid products: ¥20 off from ¥99.
VOUCHER_BATCH = {
    "name": "德州味消费券（演示）",
    "sponsor": "德州市商务局消费帮扶资金（演示）",
    "face_value": 2000,
    "min_spend": 9900,
    "per_person_limit": 1,
    "claim_limit": 0,
    "budget": 10_000_000,  # ¥100,000
    "valid_days": 60,
}
# A pre-sale of next season's cold-pressed camellia oil: orders open for 30 days, sent in the fortnight after.
PRESALE = {
    "source_sku": "DX-CYLH-2X500",
    "sku": "DX-CYLH-2X500-PS",
    "planned_quantity": 300,
    "price": 14800,
    "order_days": 30,
    "ship_days": 14,
}
