"""marshmallow's messages in the reader's language: `Schemas` holds one
instance of each schema of `bodies.py` per language of the catalogs, its
messages (and those of its fields, nested schemas and validators)
translated; marshmallow fills in the numbers."""

from __future__ import annotations

import copy

from marshmallow import Schema, fields, validate

from services.intake.bodies import SCHEMAS
from shared.i18n import N_, Catalogs

# marshmallow's messages (its English defaults) for the fields and validators
# of bodies.py, for `make messages` to extract; `Schemas` translates them by key.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid UUID."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid email address."),
    N_("Must be one of: {choices}."),
    N_("Length must be between {min} and {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
)
# The message templates of marshmallow's validators (Length, Range, OneOf,
# Regexp, Email...), by attribute.
VALIDATOR_MESSAGES = (
    "error",
    "message_min",
    "message_max",
    "message_all",
    "message_equal",
)


class Schemas:
    """One instance of each schema per language of `catalogs`, made once:
    build one and pass it on."""

    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        self.by_language = {
            lang: {
                cls: _translate_schema(cls(), catalogs.translations(lang).gettext)
                for cls in SCHEMAS
            }
            for lang in catalogs.languages
        }

    def get(self, schema_cls: type[Schema], lang: str) -> Schema:
        return self.by_language[self.catalogs.language(lang)][schema_cls]

    def gettext(self, lang: str, msgid: str) -> str:
        return self.catalogs.gettext(lang, msgid)


def _translate_schema(schema: Schema, gettext) -> Schema:
    """`schema` (a fresh instance) with its messages, and those of its fields,
    nested schemas and validators, passed through `gettext`."""
    schema.error_messages = {
        key: gettext(message) for key, message in schema.error_messages.items()
    }
    for field in schema.fields.values():
        _translate_field(field, gettext)
    return schema


def _translate_field(field: fields.Field, gettext) -> None:
    # A schema's fields are shallow copies of the class's: give each its own
    # messages and validators rather than change shared ones.
    field.error_messages = {
        key: gettext(_fixed(field, message)) if isinstance(message, str) else message
        for key, message in field.error_messages.items()
    }
    field.validators = [_translate_validator(v, gettext) for v in field.validators]
    if isinstance(field, fields.List):
        _translate_field(field.inner, gettext)
    if isinstance(field, fields.Nested):
        field._schema = None  # made anew for this field, never shared
        _translate_schema(field.schema, gettext)


def _fixed(field: fields.Field, message: str) -> str:
    """What a field always fills in, filled in: "Not a valid {obj_type}." is
    "Not a valid datetime." for a DateTime field."""
    for placeholder, attribute in (
        ("{obj_type}", "OBJ_TYPE"),
        ("{awareness}", "AWARENESS"),
    ):
        if hasattr(field, attribute):
            message = message.replace(placeholder, getattr(field, attribute))
    return message


def _translate_validator(validator, gettext):
    # A plain function raises our own message, translated at the edge.
    if not isinstance(validator, validate.Validator):
        return validator
    validator = copy.copy(validator)
    for attribute in VALIDATOR_MESSAGES:
        message = getattr(validator, attribute, None)
        if isinstance(message, str):
            setattr(validator, attribute, gettext(message))
    return validator
