"""Chinese word segmentation (分词) with jieba, the same way for indexing and for queries.

Full-text indexes split text at spaces and punctuation, and Chinese has no
spaces: "住房公积金提取" would be one token. jieba's search mode cuts it into
words and their overlapping parts (住房 / 公积 / 积金 / 公积金 / 提取), so a query
for 公积金 or 提取 finds it. Latin words and numbers are lower-cased.

The dictionary loads once per process (~0.7 s, cached by jieba in the temp folder).
"""
from __future__ import annotations

import logging
import re
import threading

import jieba

# hotline terms jieba's general dictionary splits or misses
HOTLINE_WORDS = (
    "公积金", "住房公积金", "社保卡", "医保卡", "养老金", "居住证", "身份证", "户口本", "落户", "停水", "停电",
    "来水", "来电", "燃气费", "电费", "水费", "预付卡", "个税", "个人所得税", "专项附加扣除", "发票", "营业执照",
    "网约车", "跑路", "来电人", "灵活就业", "失业金", "失业保险金", "生育津贴", "异地就医", "电动车", "充电桩", "物业费",
    "12345", "12315", "12333", "12329", "12366",
)
# words that carry no meaning in a question; a query made only of them finds nothing
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 是 在 有 和 与 及 或 我 你 他 她 它 我们 你们 他们 我家 咱们 这 那 这个 那个 "
    "怎么 怎么办 怎样 怎么样 如何 什么 为什么 哪里 哪儿 哪个 多少 几 能 能不能 可以 可不可以 要 需要 想 想要 "
    "请问 请 一下 问 问问 咨询 请教 就 都 也 还 又 再 给 被 把 让 从 到 对 向 去 来 上 下 中 里 个 些 某 该 "
    # what an agent writes around every citizen's matter (来电人反映…, 要求尽快处理)
    "市民 来电 来电人 反映 询问 表示 称 希望 要求 尽快 处理 解决 问题 情况 诉求 相关 部门 没有 今天 现在 "
    "目前 至今 开始 已经 一直 时候 还有 并 且 而 但 "
    "a an the of to in on for and or is are how what why".split()
)
# part-of-speech tags of words that are not what a question is about: numerals, measure words, time,
# pronouns, prepositions, particles, conjunctions, adverbs, modal particles, interjections, directions
FUNCTION_WORD_TAGS = ("m", "q", "t", "r", "p", "u", "c", "d", "y", "e", "o", "f")
_WORD = re.compile(r"\w+")
_ready = False
_lock = threading.Lock()


def _load() -> None:
    global _ready
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)
        for word in HOTLINE_WORDS:
            jieba.add_word(word, freq=200000)
        jieba.initialize()
        _ready = True


def words(text: str) -> list[str]:
    """Every word of ``text`` in search mode (overlapping parts included), punctuation dropped."""
    if not _ready:
        _load()
    return [w.lower() for w in jieba.cut_for_search(text or "") if _WORD.fullmatch(w)]


def index_text(text: str) -> str:
    """``text`` as space-separated words, the form the full-text indexes store."""
    return " ".join(words(text))


def query_words(text: str, keep: int = 12) -> list[str]:
    """The meaningful words of a question as the index holds them, each once (what the API shows)."""
    return list(dict.fromkeys(w for concept in query_concepts(text, keep) for w in concept))


def query_concepts(text: str, keep: int = 12) -> list[list[str]]:
    """The things a question is about, most telling first; each as the index words that stand for it.

    A concept is a word of jieba's precise mode (公积金, 提取), given as the word and
    its search-mode parts (公积, 积金, 公积金), so "any of them" matches the text that
    says it. Stopwords and function words (by the part-of-speech tag jieba's dictionary gives them: 三个, 月,
    今天, 某, 从...) are dropped, and a long description keeps its ``keep`` most
    telling concepts by jieba's inverse document frequency: 停水 says more than 小区.
    """
    if not _ready:
        _load()
    tags = _tags()
    found: dict[str, None] = {}
    for word in jieba.cut(text or ""):
        word = word.lower()
        if _WORD.fullmatch(word) and word not in STOPWORDS and not tags.get(word, "n").startswith(FUNCTION_WORD_TAGS):
            found.setdefault(word, None)
    idf = _idf()
    telling = sorted(found, key=lambda w: -idf(w))[:keep]
    return [list(dict.fromkeys([*(p for p in jieba.cut_for_search(w) if p != w and p not in STOPWORDS), w]))
            for w in telling]


def _tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tag of each word (words it found by itself have none)."""
    from jieba import posseg

    return posseg.dt.word_tag_tab


def _idf():
    from jieba import analyse

    table = analyse.default_tfidf
    return lambda word: table.idf_freq.get(word, table.median_idf)
