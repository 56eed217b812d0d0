from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from app import validation
from app.forms import Rule
from app.models import ABOUT_MAX


class ProfileForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Rule(validation.clean_username)],
        description=_l("3 to 32 letters, digits or underscores. Shown publicly."),
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    about_me = TextAreaField(
        _l("About me"),
        validators=[Rule(validation.clean_about_me)],
        description=_l("Up to %(max)d characters.", max=ABOUT_MAX),
        render_kw={"rows": 4, "maxlength": ABOUT_MAX},
    )
    submit = SubmitField(_l("Save profile"))


class PostForm(FlaskForm):
    # main/home.html writes the fields out itself. It counts characters
    # (data-maxlength) instead of setting maxlength: pasted text that is too
    # long stays whole, so the writer can shorten it instead of losing the end.
    body = TextAreaField(
        _l("What's happening?"), validators=[Rule(validation.clean_post_body)]
    )
    submit = SubmitField(_l("Post"))


class MessageForm(FlaskForm):
    # Written out by main/_compose.html, like PostForm.
    body = TextAreaField(
        _l("Message"), validators=[Rule(validation.clean_message_body)]
    )
