"""Knowledge base (知识库) in the panel: the editor's pages and ``GET /api/v1/knowledge``.

Editors (知识库编辑, and admins) create, edit, publish and retire articles;
every save keeps a version and an audit row (knowledge.editing). Agents and
the other centre roles search through the API, which the agent workspace
calls while the agent types. Department clerks have no access: articles are
the centre's answers, drafts included.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from db.models import Article, ArticleState, ArticleUse, Department, Role
from db.repositories import knowledge as knowledge_repo
from knowledge.editing import change_state, create_article, edit_article
from knowledge.errors import ArticleNotFound, InvalidArticle, KnowledgeError
from knowledge.search import LIMIT_MAX, search
from knowledge.serialize import article_as_dict
from knowledge.usage import RECENT_DAYS, usage_figures
from web import ticket_views as tv
from web.auth import login_required, register_home
from web.database import session as db_session

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
api_bp = Blueprint("knowledge_api", __name__, url_prefix="/api/v1/knowledge")
bp.record_once(lambda state: tv.init_app(state.app))
bp.record_once(lambda state: init_prompt_builds(state.app))
register_home(Role.editor, "knowledge.index")

EDITORS = (Role.editor, Role.admin)
READERS = (Role.agent, Role.editor, Role.reviewer, Role.supervisor, Role.admin)  # the centre, not departments
LIST_LIMIT = 200


def init_prompt_builds(app) -> None:
    """After an article is saved, its phone prompts are made again (电话常见问题, ivr.article_prompts):
    an rq job by default; a test may put a function of its own."""
    if "article_prompts" in app.extensions:
        return

    def enqueue() -> None:
        from hotline.redis_conn import redis_client
        from ivr.article_prompts import enqueue as enqueue_build

        settings = app.config["HOTLINE_SETTINGS"]
        enqueue_build(settings, redis_client(settings))

    app.extensions["article_prompts"] = enqueue


def _article_saved() -> None:
    """The save is committed; a lost enqueue (Redis down) is caught up by the periodic build."""
    try:
        current_app.extensions["article_prompts"]()
    except Exception:
        current_app.logger.exception("article saved, but its phone prompts could not be queued; the periodic "
                                     "build makes them")


def centre_today() -> dt.date:
    return dt.datetime.now(ZoneInfo(current_app.config["HOTLINE_SETTINGS"].timezone)).date()


def _actor() -> str:
    return g.user.username


# --- the API ----------------------------------------------------------------------------------------

@api_bp.errorhandler(KnowledgeError)
def _knowledge_error(error: KnowledgeError):
    return jsonify({"error": error.as_dict()}), error.status


@api_bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    ids = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return jsonify({"error": {"id": ids.get(error.code, "http_error"), "message": error.description}}), error.code


@api_bp.get("")
@login_required(*READERS)
def api_search():
    """Published articles valid today (or on ``on``), best match first."""
    args, errors = request.args, {}
    limit = 10
    if args.get("limit") not in (None, ""):
        try:
            limit = int(args["limit"])
        except ValueError:
            limit = -1
        if not 1 <= limit <= LIMIT_MAX:
            errors["limit"] = f"a whole number from 1 to {LIMIT_MAX}"
    on = centre_today()
    if args.get("on"):
        try:
            on = dt.date.fromisoformat(args["on"])
        except ValueError:
            errors["on"] = f"{args['on']!r} is not a date (YYYY-MM-DD)"
    phone = None
    if args.get("phone_readable") not in (None, ""):
        if args["phone_readable"] not in ("true", "false"):
            errors["phone_readable"] = "true or false"
        phone = args["phone_readable"] == "true"
    if errors:
        raise InvalidArticle.of(errors)
    found = search(db_session(), args.get("q", ""), on=on, limit=limit, department=args.get("department"),
                   topic=args.get("topic"), phone_readable=phone)
    return jsonify({"query": found.query, "words": found.words, "on": on.isoformat(),
                    "articles": [article_as_dict(h.article, h.score) for h in found.hits]})


# --- the editor's pages -------------------------------------------------------------------------------

@bp.get("/")
@login_required(*EDITORS)
def index():
    s, q, state = db_session(), request.args.get("q", "").strip(), request.args.get("state", "")
    states = tuple(ArticleState) if state not in {x.value for x in ArticleState} else (ArticleState(state),)
    error = None
    if q:
        try:
            articles = [h.article for h in search(s, q, on=None, limit=LIST_LIMIT // 4, states=states).hits]
        except InvalidArticle as refused:
            articles, error = [], refused.message
    else:
        articles = list(s.scalars(select(Article).where(Article.state.in_(states))
                                  .options(selectinload(Article.department))
                                  .order_by(Article.updated_at.desc(), Article.id.desc()).limit(LIST_LIMIT)))
    return render_template("knowledge/index.html", articles=articles, usage=usage_figures(s), q=q, state=state,
                           states=list(ArticleState), today=centre_today(), recent_days=RECENT_DAYS, error=error)


@bp.route("/new", methods=["GET", "POST"])
@login_required(*EDITORS)
def new():
    s = db_session()
    if request.method == "GET":
        return _form_page(None, {})
    try:
        article = create_article(s, request.form, _actor(), publish=bool(request.form.get("publish")))
        s.commit()
        _article_saved()
    except KnowledgeError as refused:
        s.rollback()
        return _form_page(None, request.form, refused), refused.status
    flash(f"已创建 Created {article.code} ({article.state.value})")
    return redirect(url_for("knowledge.edit", code=article.code))


@bp.route("/<code>", methods=["GET", "POST"])
@login_required(*EDITORS)
def edit(code: str):
    s = db_session()
    article = knowledge_repo.by_code(s, code)
    if article is None:
        return render_template("knowledge/missing.html", code=code), 404
    if request.method == "GET":
        return _form_page(article, {})
    try:
        was = article.version
        edit_article(s, code, _form_fields(request.form), _actor(), version=request.form.get("version"),
                     reason=request.form.get("reason") or None)
        s.commit()
        changed = article.version != was
        if changed:
            _article_saved()
    except KnowledgeError as refused:
        s.rollback()
        return _form_page(article, request.form, refused), refused.status
    flash(f"已保存 Saved {article.code}, version {article.version}" if changed else "没有修改 Nothing changed")
    return redirect(url_for("knowledge.edit", code=article.code))


@bp.post("/<code>/<any(publish, retire):action>")
@login_required(*EDITORS)
def change(code: str, action: str):
    s = db_session()
    try:
        article = change_state(s, code, action, _actor(), version=request.form.get("version"),
                               reason=request.form.get("reason") or None)
        s.commit()
        _article_saved()
    except ArticleNotFound:
        s.rollback()
        return render_template("knowledge/missing.html", code=code), 404
    except KnowledgeError as refused:
        s.rollback()
        flash(f"{refused.message}")
        return redirect(url_for("knowledge.edit", code=code)), 303
    flash(f"{article.code}: {'已发布 published' if action == 'publish' else '已下线 retired'}")
    return redirect(url_for("knowledge.edit", code=article.code))


def _form_fields(form) -> dict:
    """An unticked checkbox sends nothing: the editor form always means "not read on the phone" then."""
    fields = {name: form.get(name, "") for name in ("title", "answer", "department", "topic", "keywords",
                                                       "valid_from", "valid_to", "title_en", "answer_en", "phone_order")}
    fields["phone_readable"] = form.get("phone_readable", "")
    return fields


def _form_page(article: Article | None, form, error: KnowledgeError | None = None):
    s = db_session()
    uses = []
    if article is not None:
        uses = list(s.scalars(select(ArticleUse).where(ArticleUse.article_id == article.id)
                              .order_by(ArticleUse.used_at.desc()).limit(20)))
    departments = list(s.scalars(select(Department).where(Department.active.is_(True))
                                 .order_by(Department.kind, Department.code)))
    return render_template("knowledge/edit.html", article=article, form=form, error=error,
                           fields=error.fields if error else {}, departments=departments, topics=tv.topic_tree(s),
                           uses=uses, usage=usage_figures(s).get(article.id) if article else None,
                           recent_days=RECENT_DAYS)
