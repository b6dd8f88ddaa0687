"""The places the programme works with: Dezhou's divisions and Xiushan's townships."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DezhouCounty(models.TextChoices):
    """Dezhou's 11 county-level divisions; each is paired with a Xiushan township."""

    DECHENG = "decheng", _("Decheng District (德城区)")
    LINGCHENG = "lingcheng", _("Lingcheng District (陵城区)")
    YUCHENG = "yucheng", _("Yucheng City (禹城市)")
    LAOLING = "laoling", _("Laoling City (乐陵市)")
    LINYI = "linyi", _("Linyi County (临邑县)")
    QIHE = "qihe", _("Qihe County (齐河县)")
    PINGYUAN = "pingyuan", _("Pingyuan County (平原县)")
    XIAJIN = "xiajin", _("Xiajin County (夏津县)")
    WUCHENG = "wucheng", _("Wucheng County (武城县)")
    QINGYUN = "qingyun", _("Qingyun County (庆云县)")
    NINGJIN = "ningjin", _("Ningjin County (宁津县)")


class XiushanTownship(models.TextChoices):
    """Xiushan county's townships and sub-districts (乡镇、街道)."""

    ZHONGHE = "zhonghe", _("Zhonghe Subdistrict (中和街道)")
    WUYANG = "wuyang", _("Wuyang Subdistrict (乌杨街道)")
    PINGKAI = "pingkai", _("Pingkai Subdistrict (平凯街道)")
    GUANZHUANG = "guanzhuang", _("Guanzhuang Subdistrict (官庄街道)")
    QINGXICHANG = "qingxichang", _("Qingxichang Town (清溪场镇)")
    AIKOU = "aikou", _("Aikou Town (隘口镇)")
    RONGXI = "rongxi", _("Rongxi Town (溶溪镇)")
    LONGCHI = "longchi", _("Longchi Town (龙池镇)")
    SHIDI = "shidi", _("Shidi Town (石堤镇)")
    ERONG = "erong", _("Erong Town (峨溶镇)")
    HONGAN = "hongan", _("Hong'an Town (洪安镇)")
    YAJIANG = "yajiang", _("Yajiang Town (雅江镇)")
    SHIYE = "shiye", _("Shiye Town (石耶镇)")
    MEIJIANG = "meijiang", _("Meijiang Town (梅江镇)")
    LANQIAO = "lanqiao", _("Lanqiao Town (兰桥镇)")
    GAOTIAN = "gaotian", _("Gaotian Town (膏田镇)")
    XIKOU = "xikou", _("Xikou Town (溪口镇)")
    MIAOQUAN = "miaoquan", _("Miaoquan Town (妙泉镇)")
    SONGNONG = "songnong", _("Songnong Town (宋农镇)")
    LIREN = "liren", _("Liren Town (里仁镇)")
    ZHONGLING = "zhongling", _("Zhongling Town (钟灵镇)")
    XIAOXI = "xiaoxi", _("Xiaoxi Township (孝溪乡)")
    HAIYANG = "haiyang", _("Haiyang Township (海洋乡)")
    DAXI = "daxi", _("Daxi Township (大溪乡)")
    YONGDONG = "yongdong", _("Yongdong Township (涌洞乡)")
    ZHONGPING = "zhongping", _("Zhongping Township (中平乡)")
    CENXI = "cenxi", _("Cenxi Township (岑溪乡)")
