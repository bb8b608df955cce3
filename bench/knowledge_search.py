"""Knowledge-base search benchmark: p95 of ``knowledge.search.search`` at 100,000 articles.

For each database (a throw-away SQLite file, a throw-away PostgreSQL database):
migrate, seed (the 50 demo articles), then add generated articles until there are
``--articles``; their text is made of the demo articles' own sentences, recombined,
with districts, streets and years mixed in, so the vocabulary and the word
frequencies look like a city's knowledge base (many near-duplicates, the same
common words everywhere) rather than random characters. Every generated article
is segmented by jieba and written to the full-text index the same way an
editor's save is (``db.repositories.knowledge.write_index_rows``).

Then the citizens' questions below are asked in random order, end to end as the
API does it (segmentation, the SQL ranked by the index, loading the articles):
published, valid today, best 10. Timings are wall-clock per query.

    .venv/bin/python bench/knowledge_search.py --articles 100000 --queries 2000
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.models import Article, ArticleState, Department, Topic  # noqa: E402
from db.repositories.knowledge import write_index_rows  # noqa: E402
from db.seed import seed  # noqa: E402
from db.session import make_engine, make_session_factory, normalize_url, session_scope, utcnow  # noqa: E402
from hotline.segment import index_text  # noqa: E402
from knowledge.search import search  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
QUESTIONS = [
    "公积金怎么提取", "停水了", "我家小区停水了什么时候来水", "社保卡丢了怎么补办", "家里突然停电了", "闻到煤气味怎么办",
    "网购的衣服商家不给退货", "身份证丢了", "孩子刚出生怎么上户口", "公司拖欠工资三个月了", "去外地看病医保能报销吗",
    "暖气不热", "租房能提取公积金吗", "健身房老板跑路了卡里还有钱", "楼道里有人给电动车充电", "晚上工地施工太吵了",
    "养老金什么时候发", "怎么办理居住证", "个税汇算怎么退税", "出租车绕路多收钱", "路灯坏了", "水压太低",
    "营业执照怎么办", "失业金怎么领", "低保怎么申请", "市民反映历下区某小区从今天早上开始停水，至今没有恢复，询问什么时候来水",
    "来电人称在某超市买到过期食品，要求商家赔偿并查处", "咨询灵活就业人员社保缴费标准和缴费渠道", "护照怎么办理",
    "电费交了还是没电",
]
DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区"]
STREETS = ["泉城路街道", "大明湖街道", "大观园街道", "兴隆街道", "经十路", "花园路", "二环东路", "工业南路", "舜华路"]
PHRASES = ["根据最新政策", "自{year}年起", "{district}居民", "{street}片区", "按照{year}年度标准", "经{district}政府批准",
           "详情请咨询{district}政务服务中心", "线上线下均可办理"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a server URL whose user may CREATE DATABASE")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--url", help="measure this database as it is (one filled by an earlier --keep run)")
    parser.add_argument("--keep", action="store_true", help="keep the filled database and print its URL")
    args = parser.parse_args()
    print(f"{args.articles} articles, {args.queries} queries, best 10 each, valid today")
    if args.url:
        run(make_url(normalize_url(args.url)).get_backend_name(), args.url, args, fill=False)
        return
    for kind in args.databases.split(","):
        with throwaway_database(kind, args.pg_url, keep=args.keep) as url:
            run(kind, url, args)
            if args.keep:
                print(f"kept: --url '{url}'")


def run(kind: str, url: str, args, fill: bool = True) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    generated, loaded = 0, 0.0
    if fill:
        upgrade(url)
        with session_scope(factory) as s:
            seed(s)
        started = time.perf_counter()
        generated = generate(factory, args.articles, random.Random(args.seed))
        loaded = time.perf_counter() - started
    with engine.connect() as connection:
        if kind == "postgresql":
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("INSERT INTO knowledge_search(knowledge_search) VALUES ('optimize')")
        connection.commit()
    rng = random.Random(args.seed + 1)
    today = dt.date.today()
    timings: list[float] = []
    hits: list[int] = []
    with factory() as s:
        for question in QUESTIONS:          # warm-up: caches, jieba's IDF table, prepared statements
            search(s, question, on=today)
        for _ in range(args.queries):
            question = rng.choice(QUESTIONS)
            t0 = time.perf_counter()
            found = search(s, question, on=today, limit=10)
            timings.append((time.perf_counter() - t0) * 1000)
            hits.append(len(found.hits))
        articles = s.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    timings.sort()
    pct = lambda p: timings[min(len(timings) - 1, int(len(timings) * p))]  # noqa: E731
    filled = f"{generated} generated in {loaded:.0f} s, segmentation included" if fill else "as found"
    print(f"{kind}: {articles} articles ({filled}); "
          f"search p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, max {timings[-1]:.1f} ms, "
          f"mean {statistics.fmean(timings):.1f} ms; {sum(hits) / len(hits):.1f} hits per query")


def generate(factory, total: int, rng: random.Random, batch: int = 2000) -> int:
    """Articles until there are ``total``; returns how many were added.

    Each is ordinary Chinese drawn from jieba's dictionary by word frequency (so common words are
    common and domain words rare, as in a real collection), with, in one article of five, a
    sentence of a demo article and its title's words: about 4,000 articles share any demo topic.
    """
    with factory() as s:
        demo = s.execute(select(Article.title, Article.answer, Article.keywords, Article.department_id,
                                Article.topic_id)).all()
        existing = s.scalar(select(func.count()).select_from(Article))
        departments = s.scalars(select(Department.id)).all()
        topics = s.scalars(select(Topic.id)).all()
    sentences = [x for d in demo for x in re.split(r"(?<=[。；])", d.answer) if x.strip()]
    vocabulary, cumulative = dictionary_words()
    draw = lambda n: "".join(rng.choices(vocabulary, cum_weights=cumulative, k=n))  # noqa: E731
    first_id = existing + 1
    made = 0
    now = utcnow()
    while existing + made < total:
        rows, index_rows = [], []
        for _ in range(min(batch, total - existing - made)):
            number = existing + made + 1
            fill = {"year": rng.randint(2015, 2026), "district": rng.choice(DISTRICTS), "street": rng.choice(STREETS)}
            if rng.random() < 0.2:
                base = rng.choice(demo)
                title = rng.choice([f"{fill['district']}{base.title}", f"{base.title}（{fill['year']}年）",
                                    f"{draw(2)}{base.title[:rng.randint(4, 12)]}"])
                body = "".join([rng.choice(PHRASES).format(**fill), "，", rng.choice(sentences), draw(40), "。"])
                keywords, department_id, topic_id = base.keywords, base.department_id, base.topic_id
            else:
                title = draw(rng.randint(3, 7)) + rng.choice(["怎么办", "如何办理", "的规定", "有哪些要求", "？"])
                body = "".join([draw(rng.randint(30, 90)), "。", rng.choice(PHRASES).format(**fill), "，",
                                draw(rng.randint(10, 40)), "。"])
                keywords = ",".join({draw(1) for _ in range(3)})
                department_id, topic_id = rng.choice(departments), rng.choice(topics)
            window = rng.random()
            valid_from = dt.date(rng.randint(2015, 2026), 1, 1) if window < 0.3 else None
            valid_to = dt.date(rng.randint(2016, 2030), 12, 31) if window < 0.15 else None
            rows.append({"id": number, "code": f"GEN{number:07d}", "title": title[:200], "answer": body,
                         "department_id": department_id, "topic_id": topic_id, "keywords": keywords[:500],
                         "valid_from": valid_from, "valid_to": valid_to, "phone_readable": rng.random() < 0.6,
                         "state": ArticleState.published if rng.random() < 0.9 else ArticleState.retired,
                         "version": 1, "created_at": now, "created_by": "bench", "updated_at": now,
                         "updated_by": "bench"})
            index_rows.append({"id": number, "title": index_text(title), "body": index_text(body),
                               "keywords": index_text(" ".join(keywords.split(",")))})
            made += 1
        with session_scope(factory) as s:
            s.execute(insert(Article), rows)
            write_index_rows(s, index_rows)
    if made and factory.kw["bind"].dialect.name == "postgresql":
        with factory() as s:  # the ids were given explicitly: move the sequence past them
            s.execute(text("SELECT setval(pg_get_serial_sequence('knowledge_articles', 'id'), :n)"),
                      {"n": first_id + made})
            s.commit()
    return made


def dictionary_words() -> tuple[list[str], list[float]]:
    """jieba's dictionary words of two to four hanzi with their cumulative frequencies."""
    import itertools

    import jieba

    from hotline.segment import HOTLINE_WORDS, words
    words("预热")  # loads the dictionary; the hotline's own words get a made-up frequency there: leave them out
    pairs = [(w, f) for w, f in jieba.dt.FREQ.items()
             if f > 0 and 2 <= len(w) <= 4 and re.fullmatch(r"[一-龥]+", w) and w not in HOTLINE_WORDS]
    return [w for w, _ in pairs], list(itertools.accumulate(f for _, f in pairs))


class throwaway_database:
    def __init__(self, kind: str, pg_url: str, keep: bool = False):
        self.kind, self.pg_url, self.keep = kind, pg_url, keep

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            if self.keep:
                return f"sqlite:///{tempfile.mkdtemp(prefix='kb-bench-')}/bench.db"
            self.folder = tempfile.TemporaryDirectory(prefix="kb-bench-")
            return f"sqlite:///{self.folder.name}/bench.db"
        self.server = make_url(normalize_url(self.pg_url))
        self.name = f"kb_bench_{secrets.token_hex(4)}"
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8' TEMPLATE template0")
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        if self.keep:
            return
        if self.kind == "sqlite":
            self.folder.cleanup()
            return
        with self.admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


if __name__ == "__main__":
    main()
