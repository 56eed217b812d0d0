"""Reporting a post or an account to the moderators."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort, fields
from apiflask.validators import Length, OneOf, Range
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError, validates_schema

from app.api.auth import current_user, token_auth
from app.api.routes import BODY_ERRORS, bp, domain_error, get_user_or_404
from app.api.schemas import MAX_ID, TIME_META, Text, UTCDateTime
from app.api.users import AUTH
from app.extensions import limiter
from app.moderation_models import COMMENT_MAX, REPORT_REASONS
from app.services import moderation
from app.services.errors import DomainError, NotFound
from app.web.ratelimits import REPORT_SCOPE, report_limits

ID_META = {"minimum": 1, "maximum": MAX_ID}


class ReportIn(Schema):
    post_id = fields.Integer(
        validate=Range(1, MAX_ID),
        metadata={**ID_META, "description": "The post to report (or user_id)."},
    )
    user_id = fields.Integer(
        validate=Range(1, MAX_ID),
        metadata={**ID_META, "description": "The account to report (or post_id)."},
    )
    reason = fields.String(
        required=True, validate=OneOf(REPORT_REASONS), metadata={"enum": REPORT_REASONS}
    )
    comment = Text(
        load_default="",
        validate=Length(max=COMMENT_MAX),
        metadata={"maxLength": COMMENT_MAX, "description": "For the moderators."},
    )

    @validates_schema
    def _one_target(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("post_id" in data) == ("user_id" in data):
            raise ValidationError("Give either post_id or user_id.", "post_id")


class ReportOut(Schema):
    id = fields.Integer(required=True)
    post_id = fields.Integer(required=True, allow_none=True)
    user_id = fields.Integer(required=True)
    reason = fields.String(required=True, metadata={"enum": REPORT_REASONS})
    comment = fields.String(required=True)
    created_at = UTCDateTime(required=True, metadata=TIME_META)


def _api_user_key() -> str:
    # The pages' key (app.web.ratelimits.current_user_key): one budget.
    return f"user:{current_user().id}"


report_limit = limiter.shared_limit(
    report_limits, scope=REPORT_SCOPE, key_func=_api_user_key
)


@bp.post("/reports")
@bp.auth_required(token_auth)
@bp.input(ReportIn, location="json", example={"post_id": 42, "reason": "spam"})
@bp.output(ReportOut, status_code=201)
@bp.doc(
    tags=["Reports"],
    responses={
        **AUTH,
        **BODY_ERRORS,
        404: "There is no such post or user.",
        429: "Too many reports: REPORT_RATE_LIMIT per account (20 per hour "
        "unless configured).",
    },
)
@report_limit
def create_report(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Report a post or an account to the moderators.

    Give either `post_id` or `user_id`. Your own posts and account cannot
    be reported (422).
    """
    me = current_user()
    try:
        if "post_id" in json_data:
            report = moderation.report_post(
                me, json_data["post_id"], json_data["reason"], json_data["comment"]
            )
        else:
            target = get_user_or_404(json_data["user_id"])
            if target.is_suspended:
                abort(404, "There is no user with that id.")
            report = moderation.report_user(
                me, target, json_data["reason"], json_data["comment"]
            )
    except NotFound as exc:
        abort(404, str(exc))
    except DomainError as exc:
        domain_error(exc)
    return report, 201
