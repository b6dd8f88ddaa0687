"""The demo's editorial content, in Chinese and English: merchant stories drawn from the programme's
report (see ``demo/data.py`` for the facts), the "德州味" fair campaign, the counters page,
the about page, the inquiry form, the headline figures and the footer. People's names are invented.
"""

from dataclasses import dataclass

from catalog.regions import XiushanTownship


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


@dataclass(frozen=True)
class DemoStory:
    slug: str
    title: Text
    intro: Text
    paragraphs: tuple[Text, ...]
    motif: str
    merchant: str = ""
    township: str = ""
    quote: tuple[Text, str] | None = None
    facts: tuple[tuple[str, Text], ...] = ()
    products: tuple[str, ...] = ()
    featured: bool = False
    days_ago: int = 0


STORIES = [
    DemoStory(
        slug="aikou-tujia-brocade-weavers",
        title=Text("一梭一线织出好日子：隘口镇的土家织锦工坊", "Weaving a living: the Tujia brocade workshop in Aikou"),
        intro=Text(
            "在隘口镇鲁渝（德秀）协作土家织锦非遗工坊，320名签约织娘在家门口靠一台木腰机增收。",
            "At the Aikou intangible-heritage brocade workshop, 320 contracted weavers earn a living at home "
            "on the traditional back-strap loom.",
        ),
        paragraphs=(
            Text(
                "土家织锦又叫西兰卡普，是土家族姑娘出嫁时必备的嫁妆。工坊在鲁渝协作支持下整理传统图纹400多种，"
                "培养非遗手工技艺人才近400人。",
                "Tujia brocade, xilankapu, was once every Tujia bride's dowry. With Shandong–Chongqing support the "
                "workshop has recorded more than 400 traditional patterns and trained nearly 400 craftspeople.",
            ),
            Text(
                "织娘们农闲时在家织、农忙时下地，每月收入2000元至4000元，累计增收260余万元，受益家庭人口1200余人。"
                "德州的顾客在专柜和网上买到的每一条织锦围巾，都写着织娘的名字。",
                "Weavers work at home between farming seasons and earn 2,000 to 4,000 yuan a month: 2.6 million "
                "yuan of added income so far, for more than 1,200 family members. Every brocade scarf sold in "
                "Dezhou carries its weaver's name.",
            ),
        ),
        quote=(
            Text(
                "以前出门打工，孩子一年见不到几回。现在在家织锦，一个月也能挣三千多。",
                "I used to leave to find work and hardly saw my children. Now I weave at home and earn over "
                "3,000 yuan a month.",
            ),
            "彭春燕",
        ),
        facts=(
            ("320", Text("名签约织娘", "contracted weavers")),
            ("400+", Text("种传统图纹", "traditional patterns")),
            ("260万元+", Text("累计增收", "added income (yuan)")),
        ),
        products=("tujia-brocade-scarf", "xilankapu-wall-hanging", "tujia-brocade-tote-bag", "tujia-brocade-coasters"),
        motif="brocade",
        merchant="aikou-tujia-brocade-workshop",
        township=XiushanTownship.AIKOU,
        featured=True,
        days_ago=3,
    ),
    DemoStory(
        slug="guicuo-navel-orange-cooperative",
        title=Text(
            "合作社+党员+农户：贵措社区的3500亩脐橙", "Cooperative, party members, farmers: Guicuo's navel oranges"
        ),
        intro=Text(
            "洪安镇贵措社区学习山东村党支部领办合作社的经验，把分散的果园变成年产值3000余万元的脐橙产业。",
            "Guicuo community in Hong'an learned from Shandong's village cooperatives and turned scattered "
            "orchards into a navel-orange business worth 30 million yuan a year.",
        ),
        paragraphs=(
            Text(
                "党员带头试种新品种，农户以果园入社，合作社统一技术、统一品牌、统一销售。3500亩脐橙园如今是"
                "鲁渝协作乡村振兴示范村的招牌。",
                "Party members trial new varieties first, farmers join with their orchards, and the cooperative "
                "pools know-how, brand and sales. Its 3,500 mu of oranges are the pride of a model village of "
                "the cooperation.",
            ),
            Text(
                "每年11月到次年2月，脐橙从果园采摘、分级后直发德州，在专柜和网上同步上市。",
                "From November to February the oranges are picked, graded and sent straight to Dezhou, on sale "
                "at the counters and online at the same time.",
            ),
        ),
        quote=(
            Text("果子好不好，德州的老乡一尝就知道。", "Our customers in Dezhou can taste the difference."),
            "田光明",
        ),
        facts=(
            ("3500亩", Text("脐橙园", "mu of navel-orange orchards")),
            ("3000万元+", Text("年综合产值", "yuan of output a year")),
        ),
        products=("guicuo-navel-orange-gift-5kg", "guicuo-navel-orange-family-10kg", "navel-orange-dried-slices"),
        motif="citrus",
        merchant="guicuo-navel-orange-cooperative",
        township=XiushanTownship.HONGAN,
        featured=True,
        days_ago=6,
    ),
    DemoStory(
        slug="camellia-oil-processing-centre",
        title=Text(
            "茶籽在家门口卖上好价钱：秀山县油茶加工中心", "Tea seed sold at the farm gate: the camellia-oil centre"
        ),
        intro=Text(
            "山东援建的油茶加工中心年加工干茶籽3000吨、产茶油600吨，直接服务油茶基地5万亩。",
            "The Shandong-funded processing centre presses 3,000 tonnes of dried tea seed into 600 tonnes of "
            "camellia oil a year, serving 50,000 mu of plantations.",
        ),
        paragraphs=(
            Text(
                "过去茶农要把茶籽挑到外县去卖，如今加工中心就在清溪场镇，收购、压榨、灌装一条龙。",
                "Farmers used to carry their seed to other counties; now the centre in Qingxichang buys, presses "
                "and bottles it on the spot.",
            ),
            Text(
                "冷榨工艺保留了山茶油的清香，每一瓶都能追溯到基地和批次。",
                "Cold pressing keeps the oil's fragrance, and every bottle can be traced to its plantation and batch.",
            ),
        ),
        facts=(
            ("3000吨", Text("年加工干茶籽", "tonnes of dried seed a year")),
            ("600吨", Text("年产茶油", "tonnes of oil a year")),
            ("5万亩", Text("油茶基地", "mu of plantations")),
        ),
        products=("xiushan-wild-camellia-oil", "camellia-oil-gift-box"),
        motif="oil",
        merchant="xiushan-camellia-oil-centre",
        township=XiushanTownship.QINGXICHANG,
        featured=True,
        days_ago=9,
    ),
    DemoStory(
        slug="wuling-yaodu-herb-drying",
        title=Text("就地杀青烘干：“武陵药都”的中药材", "Dried where they grow: herbs from Wuling Yaodu"),
        intro=Text(
            "帮扶建设的“武陵药都”让中药材就地杀青、烘干，附加值提高20%以上。",
            "The Wuling Yaodu centre de-enzymes and dries herbs where they are grown, adding more than 20% "
            "to their value.",
        ),
        paragraphs=(
            Text(
                "金银花、白术、黄精采收当天进厂，损耗少了，加工环节的收益也留在了秀山。",
                "Honeysuckle, atractylodes and polygonatum reach the plant on the day they are picked: less waste, "
                "and the processing income stays in Xiushan.",
            ),
        ),
        facts=(("20%+", Text("附加值提高", "more value added")),),
        products=("xiushan-honeysuckle", "nine-steamed-polygonatum", "xiushan-atractylodes"),
        motif="herbs",
        merchant="wuling-yaodu-herb-processing",
        township=XiushanTownship.PINGKAI,
        days_ago=12,
    ),
    DemoStory(
        slug="guanzhuang-vegetable-park",
        title=Text("四区两馆一中心：官庄街道的蔬菜示范园", "Guanzhuang's vegetable demonstration park"),
        intro=Text(
            "占地400余亩的鲁渝协作现代高效蔬菜产业示范园，清晨采摘、当日分拣，冷链发往德州。",
            "The 400-mu demonstration park picks at dawn, sorts the same day and ships to Dezhou by cold chain.",
        ),
        paragraphs=(
            Text(
                "示范园包括蔬菜种植示范区、分拣包装区、瓜果采摘区、新品种试验示范区、智能化种苗繁育馆、"
                "数字农业立体栽培科技馆和新型农民培训中心。",
                "The park has planting, sorting and packing, picking and trial areas, a smart seedling hall, a "
                "vertical-farming hall and a training centre for farmers.",
            ),
            Text(
                "示范园计划扩展种植基地1500亩，年产有机绿色果蔬2100吨，带动300人以上就近就业。",
                "It plans to grow to 1,500 mu and 2,100 tonnes of organic green produce a year, with jobs for "
                "more than 300 people nearby.",
            ),
        ),
        facts=(
            ("400亩+", Text("示范园", "mu today")),
            ("2100吨", Text("计划年产有机绿色果蔬", "tonnes a year planned")),
            ("300+", Text("人就近就业", "local jobs")),
        ),
        products=("organic-tomatoes", "seasonal-vegetable-box", "cherry-tomatoes"),
        motif="vegetables",
        merchant="guanzhuang-vegetable-park",
        township=XiushanTownship.GUANZHUANG,
        days_ago=15,
    ),
    DemoStory(
        slug="dezhou-flavour-fair",
        title=Text("“德州味”展销会上的秀山好物", "Xiushan at the “Dezhou Flavour” fair"),
        intro=Text(
            "在第二届“德州味”优质农产品展销会上，“鲁渝协作 德秀情深”展区"
            "把秀山的织锦、脐橙、茶叶和蜂蜜带到德州市民面前。",
            "At the second “Dezhou Flavour” agricultural fair, the cooperation's own zone brought Xiushan "
            "brocade, oranges, tea and honey to Dezhou.",
        ),
        paragraphs=(
            Text(
                "展区里，织娘现场演示织锦，合作社请市民品尝脐橙。两地消费协作金额已达1.6亿元，这个平台要让它继续增长。",
                "Weavers demonstrated their looms and the cooperative handed out oranges to taste. Consumption "
                "cooperation has reached 160 million yuan; this market exists to grow it.",
            ),
        ),
        facts=(("1.6亿元", Text("消费协作金额", "yuan of consumption cooperation")),),
        products=(
            "tujia-brocade-scarf",
            "guicuo-navel-orange-gift-5kg",
            "xiushan-wild-honey",
            "xiushan-maojian-premium",
        ),
        motif="brocade",
        days_ago=1,
    ),
]


@dataclass(frozen=True)
class DemoPage:
    slug: str
    title: Text
    intro: Text
    paragraphs: tuple[Text, ...] = ()
    facts: tuple[tuple[str, Text], ...] = ()


STORY_INDEX = DemoPage(
    "stories",
    Text("商户故事", "Merchant stories"),
    Text(
        "秀山的织娘、果农、茶农和药农，以及他们的好物。",
        "The weavers, growers and makers of Xiushan, and what they make.",
    ),
)

COUNTERS_PAGE = DemoPage(
    "counters",
    Text("德州专柜", "Counters in Dezhou"),
    Text(
        "德州各县市区超市和农贸市场里的秀山专柜：到店自提订单，或现场选购。",
        "Xiushan counters in Dezhou's supermarkets and markets: collect your order or buy on the spot.",
    ),
)

ABOUT_PAGE = DemoPage(
    "about",
    Text("关于德秀集市", "About Dexiu Market"),
    Text("鲁渝协作的消费帮扶平台：德州人买秀山货，钱回到商户手中。", "A Shandong–Chongqing consumption-aid market."),
    paragraphs=(
        Text(
            "2011年起，山东德州与重庆秀山结为东西部协作对子。德州11个县（市、区）各结对帮扶秀山一个乡镇，两地已结成帮扶对子66对。",
            "Since 2011 Dezhou and Xiushan have been paired under the east–west cooperation: each of Dezhou's 11 "
            "divisions supports one Xiushan township, 66 pairs in all.",
        ),
        Text(
            "山东省、德州市向秀山投入东西部协作财政援助资金2.8亿元，援建项目240多个。德秀集市把秀山的产品直接卖到德州，"
            "并为每一笔消费帮扶记账。",
            "Shandong and Dezhou have invested 280 million yuan in more than 240 projects. Dexiu Market sells "
            "Xiushan's produce in Dezhou and accounts for every yuan of consumption aid.",
        ),
    ),
    facts=(
        ("66", Text("对结对帮扶", "pairs")),
        ("2.8亿元", Text("财政援助资金", "yuan of aid funds")),
        ("240+", Text("个援建项目", "projects")),
    ),
)

IMPACT_PAGE = DemoPage(
    "impact",
    Text("帮扶成效", "Aid delivered"),
    Text(
        "每一笔订单和专柜销售都记入消费帮扶台账：这里是它们为秀山的商户和农户带来的收入。",
        "Every order and counter sale is entered in the consumption-aid ledger: here is what it brought "
        "Xiushan's merchants and households.",
    ),
)

CONTACT_PAGE = DemoPage(
    "contact",
    Text("联系与批发合作", "Contact and wholesale"),
    Text(
        "单位采购、超市进货或有任何问题，请留言，我们会在两个工作日内答复。",
        "For wholesale, supermarket supply or any question, leave a message: we answer within two working days.",
    ),
)
CONTACT_THANKS = Text("谢谢！我们已收到您的留言。", "Thank you: we have your message.")
CONTACT_FIELDS = (
    (Text("姓名", "Name"), "singleline", True, ""),
    (Text("单位", "Organisation"), "singleline", False, ""),
    (Text("电子邮件", "E-mail"), "email", True, ""),
    (Text("类型", "Subject"), "dropdown", True, "批发采购\n专柜合作\n其他"),
    (Text("留言", "Message"), "multiline", True, ""),
)

CAMPAIGN = DemoStory(
    slug="dezhou-flavour-zone",
    title=Text("“鲁渝协作 德秀情深”展区·德州味展销", "Dezhou Flavour fair: the Xiushan zone"),
    intro=Text(
        "展销期间，秀山织锦、脐橙、山茶油和蜂蜜在参展专柜同步优惠。",
        "During the fair, Xiushan brocade, oranges, camellia oil and honey are on offer at the participating counters.",
    ),
    paragraphs=(
        Text(
            "展销会期间到参展专柜，或在网上下单到专柜自提。",
            "Visit a participating counter, or order online and collect there.",
        ),
    ),
    products=("tujia-brocade-scarf", "guicuo-navel-orange-gift-5kg", "camellia-oil-gift-box", "xiushan-wild-honey"),
    motif="citrus",
)
CAMPAIGN_COUNTERS = ("dz-decheng", "dz-lingcheng", "dz-yucheng", "dz-qihe")
CAMPAIGN_DAYS = (-7, 45)  # starts a week before the demo is loaded, ends 45 days after

HOME_EN = Text("德秀集市", "Dexiu Market")
HOME_HERO_EN = (
    "Xiushan produce, delivered in Dezhou",
    "Buy tea oil, navel oranges and Tujia brocade straight from Xiushan's merchants.",
)

HEADLINE_FIGURES = (
    ("1.6亿元", Text("消费协作金额", "yuan of consumption cooperation")),
    ("66", Text("对结对帮扶", "paired townships and villages")),
    ("2.8亿元", Text("东西部协作财政援助资金", "yuan of aid funds")),
    ("240+", Text("个援建项目", "aid projects")),
)
# Where the headline figures come from: the report on the pairing (../shared/seeds), written in 2023
# ("12年来" since 2011). The title stays Chinese in English: it is the report's own.
HEADLINE_SOURCE = Text(
    "报道《德州秀山 万水千山情不断 携手共赴富裕路》",
    "the report “德州秀山 万水千山情不断 携手共赴富裕路” on the Dezhou–Xiushan cooperation",
)
HEADLINE_SOURCE_YEAR = 2023

FOOTER = Text(
    "德秀集市是鲁渝协作消费帮扶平台：每一笔消费都回到秀山的商户手中。\n在德州超市的秀山专柜自提，或送货到家。",
    "Dexiu Market is a Shandong–Chongqing consumption-aid platform: every purchase goes back to Xiushan's "
    "merchants.\nCollect at a Xiushan counter in Dezhou, or have it delivered.",
)
FOOTER_LINKS = ("about", "counters", "contact")

MENU = ("stories", "counters", "about", "contact")
