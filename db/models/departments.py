"""Departments (承办单位): the units tickets are dispatched to.

One tree per city: city → district (区) → street (街道/乡镇) → village (社区/村);
municipal bureaus (市直部门) hang directly under the city.
"""
from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum


class DepartmentKind(enum.StrEnum):
    city = "city"            # 市
    district = "district"    # 区/县
    street = "street"        # 街道/乡镇
    village = "village"      # 社区/村
    bureau = "bureau"        # 市直部门 (bureaus, public utilities)


class Department(Base):
    """承办单位."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[DepartmentKind] = mapped_column(str_enum(DepartmentKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Department | None] = relationship(
        back_populates="children", remote_side="Department.id"
    )
    children: Mapped[list[Department]] = relationship(
        back_populates="parent", order_by="Department.code"
    )

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.kind}>"
