"""The knowledge pages and API in the panel: who may use them, what the API answers, the editor's loop."""
from __future__ import annotations

import itertools
import re

from jsonschema import Draft202012Validator
from sqlalchemy import select

from db.models import Agent, Article, ArticleUse, Call, Line, Ticket
from db.session import utcnow
from tests.knowledge.conftest import LOGINS
from web.api import openapi_document

DOC = openapi_document()
_numbers = itertools.count(13712340001)

PAGES = {  # GET path → roles allowed
    "/knowledge/": {"editor", "admin"},
    "/knowledge/new": {"editor", "admin"},
    "/knowledge/KB00001": {"editor", "admin"},
    "/api/v1/knowledge?q=停水": {"agent", "editor", "reviewer", "supervisor", "admin"},
}
POSTS = {  # path → (roles allowed past the role check, the status they get for this harmless input)
    "/knowledge/new": ({"editor", "admin"}, 400),                  # empty form: field errors
    "/knowledge/KB00001": ({"editor", "admin"}, 400),              # emptied fields: field errors
    "/knowledge/KB00001/publish": ({"editor", "admin"}, 303),      # already published: said so, nothing changes
}


def conforms(response, path: str = "/knowledge"):
    """The response's JSON matches the schema web/openapi.yaml gives for this path and status."""
    spec = DOC["paths"][path]["get"]["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = DOC["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    validator = Draft202012Validator({**spec["content"]["application/json"]["schema"],
                                      "components": DOC["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


def post_form(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def test_role_matrix_of_the_pages_and_the_api(app, login):
    got, expected = {}, {}
    for role in LOGINS:
        client = login(role)
        for path, allowed in PAGES.items():
            status = client.get(path).status_code
            got[(role, "GET", path)] = status
            expected[(role, "GET", path)] = 200 if role in allowed else 403
        for path, (allowed, status) in POSTS.items():
            got[(role, "POST", path)] = post_form(client, path, version="1").status_code
            expected[(role, "POST", path)] = status if role in allowed else 403
    assert got == expected
    anonymous = app.test_client()
    for path in ("/knowledge/", "/knowledge/KB00001"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.location
    response = anonymous.get("/api/v1/knowledge?q=停水")
    assert response.status_code == 401 and conforms(response)["error"]["id"] == "login_required"
    assert conforms(login("clerk").get("/api/v1/knowledge?q=停水"))["error"]["id"] == "forbidden"
    # an editor's home is the knowledge base, and tickets are not theirs to read
    editor = login("editor")
    assert editor.get("/").location.endswith("/knowledge/")
    assert "知识库 Knowledge" in editor.get("/knowledge/").get_data(as_text=True)
    assert editor.get("/api/v1/tickets").status_code == 403


def test_the_api_answers_in_the_documented_shape(login):
    agent = login("agent")
    body = conforms(agent.get("/api/v1/knowledge?q=公积金怎么提取&limit=3"))
    assert body["words"] == ["公积", "积金", "公积金", "提取"] and len(body["articles"]) == 3
    first = body["articles"][0]
    assert first["code"] == "KB00001" and first["department"]["code"] == "gjj" and first["phone_readable"] is True
    assert first["score"] >= body["articles"][1]["score"]
    heating = conforms(agent.get("/api/v1/knowledge?q=暖气不热&on=2027-04-01"))
    assert [a["code"] for a in heating["articles"]] == ["KB00028"] and heating["on"] == "2027-04-01"
    spoken = conforms(agent.get("/api/v1/knowledge?q=社保缴费基数和比例&phone_readable=true"))
    assert "KB00012" not in [a["code"] for a in spoken["articles"]]
    written = conforms(agent.get("/api/v1/knowledge?q=社保缴费基数和比例&phone_readable=false&department=rsj"))
    assert [a["code"] for a in written["articles"]][:1] == ["KB00012"]
    assert conforms(agent.get("/api/v1/knowledge?q=怎么办"))["articles"] == []


def test_bad_api_input_says_which_field_and_why(login):
    agent = login("agent")
    cases = {"": {"q"}, "?q=": {"q"}, "?q=停水&limit=0": {"limit"}, "?q=停水&limit=x": {"limit"},
             "?q=停水&on=tomorrow": {"on"}, "?q=停水&phone_readable=maybe": {"phone_readable"},
             "?q=停水&department=atlantis&topic=nope": {"department", "topic"}}
    for query, fields in cases.items():
        response = agent.get("/api/v1/knowledge" + query)
        assert response.status_code == 400, query
        error = conforms(response)["error"]
        assert error["id"] == "invalid_input" and set(error["fields"]) == fields, (query, error)


def test_the_editor_creates_edits_and_retires_an_article(login):
    editor, agent = login("editor"), login("agent")
    response = post_form(editor, "/knowledge/new", title="老年人乘坐公交车免费吗", department="gjjt",
                         answer="年满65周岁的老年人可以办理老年人乘车卡，乘坐市内公交车免费。", keywords="老年卡,免费乘车",
                         phone_readable="1", publish="1")
    assert response.status_code == 302 and response.location.endswith("/knowledge/KB00051")
    found = conforms(agent.get("/api/v1/knowledge?q=老人坐公交免费吗"))["articles"]
    assert found[0]["code"] == "KB00051" and found[0]["version"] == 2   # created, then published

    page = editor.get("/knowledge/KB00051").get_data(as_text=True)
    assert "老年人乘坐公交车免费吗" in page and "version 2" in page
    fields = {"title": "老年人乘坐公交车和地铁免费吗", "department": "gjjt", "keywords": "老年卡,免费乘车",
              "answer": "年满65周岁的老年人可以办理老年人乘车卡，乘坐市内公交车和地铁免费。", "phone_readable": "1"}
    stale = post_form(editor, "/knowledge/KB00051", version="1", **fields)
    assert stale.status_code == 409 and "reload it" in stale.get_data(as_text=True)
    saved = post_form(editor, "/knowledge/KB00051", version="2", reason="地铁纳入", **fields)
    assert saved.status_code == 302
    page = editor.get("/knowledge/KB00051").get_data(as_text=True)
    assert "version 3" in page and "地铁纳入" in page and "老年人乘坐公交车免费吗" in page  # the audit keeps the old title

    refused = post_form(editor, "/knowledge/new", title="", answer="短", valid_from="2027-02-30")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "a title is required" in text and "is not a date" in text

    assert post_form(editor, "/knowledge/KB00051/retire", version="3", reason="政策调整").status_code == 302
    assert conforms(agent.get("/api/v1/knowledge?q=老年人乘坐公交车地铁免费"))["articles"][0]["code"] != "KB00051"
    assert editor.get("/knowledge/KB09999").status_code == 404


def open_call(app) -> tuple[str, str]:
    """A call agent 1001 is on right now, as the AGI side records it."""
    with app.extensions["hotline_sessions"]() as s:
        call = Call(uniqueid=f"kb-{next(_numbers)}", caller=str(next(_numbers)), dialed_number="12345",
                    line=s.scalar(select(Line).where(Line.number == "12345")),
                    agent=s.scalar(select(Agent).where(Agent.number == "1001")), arrived_at=utcnow(),
                    answered_at=utcnow())
        s.add(call)
        s.commit()
        return call.uniqueid, call.caller


def test_the_agent_attaches_the_article_that_answered_the_call(app, login):
    agent, editor = login("agent"), login("editor")
    assert 'id="kb-suggestions"' in agent.get("/agent/").get_data(as_text=True)
    uniqueid, caller = open_call(app)
    ticket_form = {"call_uniqueid": uniqueid, "caller_phone": caller, "category": "consultation",
                   "topic": "utilities-water", "description": "市民反映小区停水，询问何时恢复", "action": "resolve",
                   "reply": "已告知停水通知查询方式和报修电话"}
    refused = post_form(agent, "/agent/tickets", knowledge_article="KB99999", **ticket_form)
    assert refused.status_code == 400 and "no article" in refused.get_data(as_text=True)
    response = post_form(agent, "/agent/tickets", knowledge_article="KB00016", **ticket_form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.extensions["hotline_sessions"]() as s:
        use = s.scalar(select(ArticleUse).join(Ticket).where(Ticket.caller_phone == caller))
        assert use.article.code == "KB00016" and use.call.uniqueid == uniqueid and use.used_by == "agent1001"
        assert use.ticket.state.value == "closed" and use.ticket.resolved_on_call
    row = editor.get("/knowledge/").get_data(as_text=True).split('data-code="KB00016"')[1].split("</tr>")[0]
    assert '<td class="uses">1</td>' in row
    assert "共 1 次" in editor.get("/knowledge/KB00016").get_data(as_text=True)


def test_a_save_queues_the_phone_prompts_build_and_english_text_is_kept(app, login):
    editor = login("editor")
    builds = app.extensions["article_prompt_builds"]
    fields = {"title": "停水了怎么办，怎么查询停水通知", "department": "swjt", "phone_readable": "1",
              "answer": "计划停水会提前在供水集团网站和小区公告栏发布通知；突发停水可拨打供水服务热线或12345反映。",
              "title_en": "The water is off. What should I do?", "answer_en": "Call the water company or 12345.",
              "phone_order": "2"}
    page = editor.get("/knowledge/KB00016").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert post_form(editor, "/knowledge/KB00016", version=version, **fields).status_code == 302
    assert builds == [1]
    assert post_form(editor, "/knowledge/KB00016", version=str(int(version) + 1), **fields).status_code == 302
    assert builds == [1]                       # nothing changed: nothing to build
    with app.extensions["hotline_sessions"]() as s:
        article = s.scalar(select(Article).where(Article.code == "KB00016"))
        assert (article.answer_en, article.phone_order) == ("Call the water company or 12345.", 2)
    refused = post_form(editor, "/knowledge/KB00016", version=str(int(version) + 1),
                        **{**fields, "answer_en": "", "phone_order": "first"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "or neither" in text and "is not a whole number" in text
    assert builds == [1]
    assert post_form(editor, "/knowledge/KB00016/retire", version=str(int(version) + 1)).status_code == 302
    assert builds == [1, 1]                    # retired: its prompts go at the next build
