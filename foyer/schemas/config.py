"""Household configuration (SPEC §2)."""

from __future__ import annotations

from pydantic import Field

from foyer.domain.vocabulary import KeyMode
from foyer.schemas.common import Input, Name50, NonNegativeMoney, Output, Percent


class ConfigRead(Output):
    member1_name: str = Field(examples=["Alex"])
    member2_name: str = Field(examples=["Sam"])
    income1: float = Field(examples=[3200.0], description="Monthly gross income of member 1.")
    income2: float = Field(examples=[2500.0])
    tax_rate1: float = Field(examples=[14.5], description="Percent, 0–100.")
    tax_rate2: float = Field(examples=[11.0])
    split_mode: KeyMode = Field(examples=["income"])
    manual_share1: float = Field(examples=[50.0], description="Member 1's percent when manual.")
    buffer: float = Field(
        default=0.0,
        examples=[300.0],
        description="What the joint account keeps untouched (transfer plan, SPEC §12).",
    )


class ConfigUpdate(Input):
    """PUT body. Fields left out keep their current value."""

    member1_name: Name50 | None = None
    member2_name: Name50 | None = None
    income1: NonNegativeMoney | None = None
    income2: NonNegativeMoney | None = None
    tax_rate1: Percent | None = None
    tax_rate2: Percent | None = None
    split_mode: KeyMode | None = None
    manual_share1: Percent | None = None
    buffer: NonNegativeMoney | None = None
