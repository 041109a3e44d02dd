"""`expert`: an evaluation expert (评标专家) as an expert library (专家库) holds them.

Keyed by the keyed hash of the expert's ID number (`schemas.base.KeyedHash`), the same id that
`tender.evaluation` and `remote_evaluation` use, so that a library entry, the committees the expert
sat on and the seats held in remote evaluations join without the ID number. The record concerns the
region of the library that holds the expert. Employer codes are kept for recusal (回避) checks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import Code, Date, KeyedHash, Name, RegionCode, StandardRecord, Uscc


class Expert(StandardRecord):
    """评标专家 (spec ch. 15)."""

    record_type = "expert"
    business_key = ("expert_id",)
    jurisdiction_fields = ("region_code",)

    expert_id: KeyedHash = Field(description="身份证件号码 ID_CARD, as a keyed hash")
    name: Name = Field(description="专家姓名 EXPERT_NAME")
    id_card_type: Code | None = Field(default=None, description="证件类型 ID_CARD_TYPE")
    region_code: RegionCode = Field(description="所属专家库行政区划")
    library_name: Name | None = Field(default=None, description="专家库名称")
    expert_type: Code | None = Field(default=None, description="专家类型 EXPERT_TYPE")
    specialties: Annotated[list[Name], Field(min_length=1)] | None = Field(
        default=None, description="评标专业 (specialty codes or names)"
    )
    professional_title: Name | None = Field(default=None, description="职称")
    employer_name: Name | None = Field(default=None, description="工作单位")
    employer_uscc: Uscc | None = Field(default=None, description="工作单位统一社会信用代码 (for 回避)")
    status: Literal["active", "suspended", "removed"] | None = Field(
        default=None, description="在库状态 (正常, 暂停, 出库)"
    )
    valid_from: Date | None = Field(default=None, description="入库日期")
    valid_to: Date | None = Field(default=None, description="聘期截止日期")
