"""Segmentation (分词) of the agent's text into the tokens the model counts.

jieba cuts the description into words; a few words of the centre's own trade
(占道经营, 公积金, 预付卡...) are added to its dictionary so they stay whole.
The address's words and the topic are kept apart from the description's by a
prefix (``@泉城路``, ``#urban-vending``), because "泉城路" in the address says
where, and in the description may say something else.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# words of 12345 practice that jieba's general dictionary would cut in two
DOMAIN_WORDS = (
    "占道经营", "流动摊贩", "私搭乱建", "违法建设", "路灯", "供暖", "暖气", "停水", "水压", "漏气", "停气",
    "公交车", "网约车", "出租车", "井盖", "拖欠工资", "欠薪", "农民工", "社保", "养老金", "医保",
    "公积金", "预付卡", "乱收费", "消防通道", "电动车", "噪音", "扰民", "渣土车", "油烟", "退单",
    "物业", "小区", "居委会", "街道办", "城管", "燃气", "煤气", "自来水", "户口", "落户", "出入境",
    "护照", "发票", "个税", "快递", "烟草", "海关",
)
# function words, and the words every work order has (市民来电反映…希望尽快处理)
STOP_WORDS = frozenset((
    "的", "了", "是", "在", "和", "有", "也", "就", "都", "而", "及", "与", "着", "或", "一个", "没有", "我们", "你们",
    "他们", "她", "他", "我", "你", "这", "那", "这个", "那个", "啊", "吧", "呢", "吗", "被", "把", "给", "让", "对",
    "从", "到", "向", "于", "为", "以", "等", "还", "又", "很", "非常", "已经", "一直", "现在", "目前", "今天", "昨天",
    "市民", "来电", "反映", "称", "表示", "希望", "要求", "请", "相关", "部门", "尽快", "处理", "解决", "问题", "情况",
))
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")


@lru_cache(maxsize=4)
def tokenizer(extra_words: tuple[str, ...] = ()) -> jieba.Tokenizer:
    """A jieba tokenizer of its own (not jieba's global one), with the domain words added."""
    cutter = jieba.Tokenizer()
    for word in DOMAIN_WORDS + tuple(extra_words):
        cutter.add_word(word, freq=2000)
    return cutter


def words(text: str | None, extra_words: tuple[str, ...] = ()) -> list[str]:
    """The meaningful words of ``text``: no punctuation, no stop words, no single Latin letters."""
    if not text:
        return []
    found = []
    for word in tokenizer(extra_words).lcut(str(text)):
        word = word.strip().lower()
        if not word or word in STOP_WORDS or not _KEEP.search(word) or word.isdigit():
            continue
        found.append(word)
    return found


def document(description: str | None, address: str | None = None, topic: str | None = None,
             extra_words: tuple[str, ...] = ()) -> str:
    """One space-separated token string, what the TF-IDF vectorizer splits again on spaces."""
    tokens = words(description, extra_words)
    tokens += ["@" + w for w in words(address, extra_words)]
    if topic:
        tokens.append("#" + topic)
    return " ".join(tokens)
