from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from app import validation
from app.forms import Rule
from app.i18n import LANGUAGE_NAMES
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
    language = SelectField(
        _l("Language"),
        # The service checks the code (for the API too); a form posted
        # without the field (None) leaves the setting as it is.
        validate_choice=False,
        description=_l("Empty follows the language your browser asks for."),
    )
    submit = SubmitField(_l("Save profile"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each language named in itself: a reader lost in a language they do
        # not read can still find their own.
        self.language.choices = [("", _l("Your browser's language"))] + [
            (code, LANGUAGE_NAMES.get(code, code))
            for code in current_app.config["LANGUAGES"]
        ]


class AvatarForm(FlaskForm):
    avatar = FileField(
        _l("Your picture"),
        validators=[FileRequired(_l("Choose a picture to upload."))],
        description=_l(
            "JPEG, PNG, WebP or GIF, up to 10 MB. Its centre is cropped to a square."
        ),
        render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"},
    )
    submit = SubmitField(_l("Upload picture"))


class PostForm(FlaskForm):
    # main/home.html writes the fields out itself. It counts characters
    # (data-maxlength) instead of setting maxlength: pasted text that is too
    # long stays whole, so the writer can shorten it instead of losing the end.
    # The text may be empty here: a post with pictures needs none, and
    # app.services.posts, which knows about the pictures, decides.
    body = TextAreaField(
        _l("What's happening?"), validators=[Rule(validation.clean_post_text)]
    )
    submit = SubmitField(_l("Post"))


class MessageForm(FlaskForm):
    # Written out by main/_compose.html, like PostForm.
    body = TextAreaField(
        _l("Message"), validators=[Rule(validation.clean_message_body)]
    )
