"""Phrases of the synthetic history: how citizens' matters are written down per topic (诉求内容).

Each topic has a few templates; ``{slot}`` names a list of fillers below.
Written after the way 12345 work orders read ("市民来电反映…, 希望…"), with the
overlaps real ones have (water in 供水 and 水污染, noise in 噪声 and 施工,
money in 社保, 医保 and 公积金) so the benchmark is not a keyword lookup.
"""
from __future__ import annotations

OPENERS = ("市民来电反映", "来电人反映", "市民来电称", "来电人称", "市民反映", "")
CLOSERS = ("希望相关部门尽快处理。", "请相关部门核实处理。", "已多次反映未解决, 要求尽快解决。", "影响居民正常生活, 请尽快处理。",
           "希望有关部门给予答复。", "请工作人员回电告知处理结果。", "")

SLOTS: dict[str, tuple[str, ...]] = {
    "spot": ("小区门口", "路口", "学校门口", "菜市场旁", "地铁站出口", "公交站牌旁", "商场北门", "医院门口"),
    "vendor": ("流动摊贩", "烧烤摊", "水果摊", "早餐摊点", "夜市摊位", "商户"),
    "build": ("楼顶私自加盖彩钢房", "一楼住户私搭乱建", "院内违法建设", "私自扩建阳台", "绿地上搭建板房"),
    "rubbish": ("垃圾桶满溢无人清运", "生活垃圾堆积发臭", "建筑垃圾乱倒", "公厕无人打扫", "道路清扫不及时"),
    "light": ("路灯不亮", "路灯一直闪烁", "多盏路灯损坏", "路灯白天也亮着"),
    "heat": ("暖气不热", "室温只有十几度", "供暖管道漏水", "暖气片冰凉"),
    "water": ("突然停水", "水压太低上不去楼", "自来水发黄有异味", "水管爆裂漏水", "水表不走字"),
    "gas": ("闻到燃气味", "燃气管道漏气", "突然停气", "燃气表故障", "燃气开户迟迟不办理"),
    "bus": ("公交车晚点严重", "公交司机拒载", "公交站点被取消", "公交车到站不停", "公交线路班次太少"),
    "shop": ("饭店", "餐馆", "小吃店", "超市", "蛋糕店", "外卖店"),
    "food": ("卖过期食品", "后厨卫生条件差有老鼠", "吃完后腹泻呕吐", "食品变质发霉", "无证经营"),
    "price": ("乱收费", "停车收费不合理", "商品不明码标价", "价格一天涨了三次", "物业乱收费"),
    "consumer": ("办了预付卡后商家跑路", "买到假货商家拒绝退款", "售后不处理", "健身房不给退卡", "网购商品与描述不符"),
    "product": ("电动车电池质量差", "热水器漏电", "儿童玩具有异味", "家电用了一周就坏"),
    "taxi": ("出租车司机绕路", "网约车司机中途甩客", "出租车拒载", "网约车多收费用", "出租车司机态度恶劣"),
    "road": ("路面坑洼不平", "井盖丢失", "道路破损严重", "人行道砖松动", "护栏被撞坏"),
    "company": ("公司", "工地", "工厂", "装修公司", "物流公司"),
    "wage": ("拖欠工资三个月", "欠薪不给", "拖欠农民工工资", "辞职后不结工资"),
    "insurance": ("社保断缴", "养老金没有按时发放", "失业金怎么申领", "单位不给缴纳社保", "社保转移办不了"),
    "medical": ("医保报销比例", "异地就医备案", "医保卡无法使用", "门诊费用报销"),
    "fund": ("公积金提取", "公积金贷款额度", "单位不给缴纳公积金", "公积金账户转移"),
    "elderly": ("养老院收费", "高龄补贴", "社区养老服务", "老人助餐点"),
    "disabled": ("残疾证办理", "残疾人补贴", "无障碍通道被占", "残疾人就业扶持"),
    "air": ("工厂排放黑烟", "夜间焚烧垃圾", "刺鼻异味", "饭店油烟直排", "露天焚烧秸秆"),
    "river": ("工厂往河道排污", "河水发黑发臭", "污水直排", "小河里有死鱼"),
    "noise": ("工地夜间施工", "夜间施工噪音", "工厂机器噪声", "商铺音响声音太大", "凌晨还在打桩"),
    "fire": ("消防通道被堵塞", "楼道里给电动车充电", "消防栓损坏", "楼道堆放杂物", "飞线充电"),
    "work": ("工地作业不戴安全帽", "危化品存放不规范", "工厂安全隐患", "脚手架搭建不规范"),
    "hospital": ("医院", "社区卫生服务中心", "诊所"),
    "health": ("看病排队时间太长", "医生态度差", "乱开检查", "挂号难", "疫苗接种预约"),
    "legal": ("法律援助申请", "找律师咨询", "公证办理", "人民调解"),
    "tour": ("景区门票", "旅行团强制购物", "导游态度差", "演出票退不了"),
    "telecom": ("手机信号差", "宽带经常断网", "运营商乱扣费", "骚扰电话太多", "携号转网受阻"),
    "farm": ("种子质量问题", "农药残留", "土地流转纠纷", "农机补贴"),
    "hukou": ("户口迁移", "落户办理", "身份证补办", "居住证办理"),
    "tax": ("个税退税", "开发票", "社保费缴纳系统", "个体户报税"),
    "passport": ("护照办理", "港澳通行证续签", "签证加急", "出入境证件"),
    "trade": ("外贸企业补贴", "商场促销政策", "老字号认定", "以旧换新补贴"),
    "land": ("不动产登记", "房产证办理", "规划许可", "宅基地确权"),
    "tech": ("高新技术企业认定", "科技项目申报", "研发费用补贴"),
    "post": ("快递丢件", "快递被冒领", "快递员不送货上门", "快递柜超时收费"),
    "tobacco": ("无证卖烟", "卖假烟", "向未成年人售烟"),
    "customs": ("进口物品被扣", "海外包裹清关", "行李物品申报"),
}

# topic code → (templates, department override by sub-theme or None = the topic's own department)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "urban-vending": ("{spot}有{vendor}占道经营, 堵塞交通", "每天晚上{spot}{vendor}占道, 油烟很大",
                      "{spot}{vendor}摆摊, 人行道无法通行"),
    "urban-building": ("小区内{build}", "{build}, 存在安全隐患", "邻居{build}, 遮挡采光"),
    "urban-sanitation": ("{spot}{rubbish}", "小区{rubbish}, 气味难闻", "{rubbish}好几天了"),
    "urban-lighting": ("{spot}{light}", "小区外道路{light}, 晚上很黑", "{light}已经一周"),
    "urban-heating": ("家里{heat}", "整栋楼{heat}, 老人孩子受冻", "供暖季开始后{heat}"),
    "utilities-water": ("家中{water}", "小区{water}, 没有提前通知", "{water}, 影响做饭洗漱"),
    "utilities-gas": ("家里{gas}", "楼道里{gas}, 担心安全", "{gas}, 打燃气公司电话没人接"),
    "utilities-bus": ("{bus}", "乘坐公交时{bus}", "{spot}{bus}"),
    "market-food": ("{spot}一家{shop}{food}", "在{shop}买的东西{food}", "{shop}{food}, 要求查处"),
    "market-price": ("{shop}{price}", "{spot}停车场{price}", "小区{price}"),
    "market-consumer": ("{consumer}", "在{shop}{consumer}", "{consumer}, 要求退款"),
    "market-quality": ("{product}", "在商场买的{product}, 要求检测", "{product}, 厂家不处理"),
    "transport-taxi": ("{taxi}", "乘车时{taxi}, 已记下车牌", "从火车站打车{taxi}"),
    "transport-road": ("{spot}{road}", "道路{road}, 晚上容易摔倒", "{road}, 车辆经过很危险"),
    "social-wages": ("{company}{wage}", "在{company}干活{wage}", "老板{wage}"),
    "social-insurance": ("咨询{insurance}", "{insurance}", "{company}{insurance}"),
    "social-medical": ("咨询{medical}", "{medical}的问题", "在{hospital}看病后{medical}"),
    "social-housing-fund": ("咨询{fund}", "{fund}办理流程", "{company}{fund}"),
    "social-elderly": ("咨询{elderly}", "母亲八十岁了想了解{elderly}", "{elderly}的政策"),
    "social-disability": ("咨询{disabled}", "家人是残疾人, 了解{disabled}", "{spot}{disabled}"),
    "env-air": ("{spot}附近{air}", "{company}{air}", "{air}, 晚上不敢开窗"),
    "env-water": ("{river}", "{company}{river}", "附近{river}, 气味很大"),
    "env-noise": ("{noise}", "附近{company}{noise}, 无法休息", "小区旁{noise}"),
    "safety-fire": ("小区{fire}", "{fire}, 存在火灾隐患", "{spot}{fire}"),
    "safety-work": ("{company}{work}", "{work}, 担心出事故", "附近{company}{work}"),
    "services-health": ("在{hospital}{health}", "{hospital}{health}", "{health}"),
    "services-legal": ("咨询{legal}", "想申请{legal}", "{legal}怎么办理"),
    "services-tourism": ("{tour}", "旅游时{tour}", "{tour}的问题"),
    "services-telecom": ("家里{telecom}", "{telecom}", "小区{telecom}"),
    "services-agriculture": ("{farm}", "村里{farm}", "咨询{farm}"),
    "other-policy": ("咨询{hukou}", "咨询{tax}", "咨询{passport}", "咨询{trade}", "咨询{land}", "咨询{tech}",
                     "{post}", "{spot}有人{tobacco}", "咨询{customs}"),
}

# for other-policy: the slot of the sub-theme names the department (there is no usual one for the topic)
POLICY_DEPARTMENT = {"hukou": "gaj", "tax": "swj", "passport": "crj", "trade": "swuj", "land": "zrzyj",
                     "tech": "kjj", "post": "yzglj", "tobacco": "ycj", "customs": "jnhg"}

# 属地管理: these are handled by the street office (街道) of the address, not by the city bureau
LOCAL_TOPICS = ("urban-vending", "urban-building", "urban-sanitation")

# where an agent wrongly sends a topic first (the department then returns it, 退单)
CONFUSED_WITH = {
    "urban-heating": ("rqjt", "swjt"), "utilities-water": ("sthjj", "cgj"), "utilities-gas": ("xfzd", "cgj"),
    "utilities-bus": ("jtysj",), "market-food": ("wjw",), "market-price": ("cgj",), "env-water": ("swjt",),
    "env-noise": ("cgj",), "env-air": ("cgj",), "safety-fire": ("yjglj", "cgj"), "safety-work": ("xfzd",),
    "social-medical": ("rsj", "wjw"), "social-insurance": ("ybj", "swj"), "social-housing-fund": ("rsj",),
    "social-wages": ("scjgj",), "transport-road": ("cgj",), "urban-lighting": ("jtysj",),
    "services-health": ("ybj",), "social-elderly": ("rsj",), "market-consumer": ("swuj",),
}
VAGUE = ("咨询相关问题, 具体情况请回电", "反映的问题之前打过电话, 还是没有解决", "有事情要反映, 情况比较复杂")

STREETS = {  # street code → (district code, address patterns)
    "quanchenglu": ("lixia", ("历下区泉城路{n}号", "历下区芙蓉街{n}号", "历下区县西巷{n}号")),
    "daminghu": ("lixia", ("历下区大明湖路{n}号", "历下区百花洲{n}号院", "历下区明湖东路{n}号")),
    "daguanyuan": ("shizhong", ("市中区经四路{n}号", "市中区大观园{n}号", "市中区经二路{n}号")),
    "xinglong": ("shizhong", ("市中区兴隆村{n}组", "市中区兴隆街道兴隆山路{n}号", "市中区兴隆新村{n}号楼")),
}
