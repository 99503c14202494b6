"""Server-rendered forms; flask-wtf adds and checks their CSRF token."""

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=8, max=1000)])
    repeat_password = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", "the passwords differ")],
    )


def posted_form() -> MultiDict | None:
    """What a page's form reads: the form post, never a JSON body (Flask-WTF would take a JSON body as the
    form, and fail with a 500 on one that is not an object)."""
    return request.form if request.method == "POST" else None
