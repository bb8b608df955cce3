"""Declarative base shared by every model.

The naming convention gives every index and constraint a predictable name, so
Alembic migrations can drop or alter them by name on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import enum

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_cls: type[enum.Enum], length: int = 16) -> Enum:
    """A Python enum stored as its short string value (VARCHAR, no native type).

    Non-native so that adding a value never needs an ALTER TYPE on PostgreSQL and
    SQLite stores the same text; SQLAlchemy still rejects unknown values.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
