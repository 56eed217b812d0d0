from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from app import validation
from app.forms import Rule
from app.models import ABOUT_MAX


class ProfileForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Rule(validation.clean_username)],
        description="3 to 32 letters, digits or underscores. Shown publicly.",
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    about_me = TextAreaField(
        "About me",
        validators=[Rule(validation.clean_about_me)],
        description=f"Up to {ABOUT_MAX} characters.",
        render_kw={"rows": 4, "maxlength": ABOUT_MAX},
    )
    submit = SubmitField("Save profile")


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
        "What's happening?", validators=[Rule(validation.clean_post_text)]
    )
    submit = SubmitField("Post")


class MessageForm(FlaskForm):
    # Written out by main/_compose.html, like PostForm.
    body = TextAreaField("Message", validators=[Rule(validation.clean_message_body)])
