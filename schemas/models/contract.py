"""`contract`: the 合同 signed after the award (合同订立/备案, the 合同履约 stage of DOMAIN §12).

Key: tender project + section + 合同编号, so that a 补充协议 (supplementary agreement) with its own
number is a record of its own rather than a new version of the main contract. The contract amount
is what the 低中高结 and "contract amount ≠ WIN_PRICE" warnings compare against the award.
"""

from __future__ import annotations

from pydantic import Field

from schemas.base import (
    Code,
    Date,
    DocumentRef,
    Money,
    Name,
    Party,
    RegionCode,
    StandardRecord,
    Text,
    Timestamp,
    UnifiedDealCode,
)


class Contract(StandardRecord):
    """合同 (GCJS_CONTRACT_PERFORMANCE contract part)."""

    record_type = "contract"
    business_key = ("tender_project_code", "bid_section_code", "contract_code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    contract_code: Code = Field(description="合同编号 CONTRACT_CODE")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    contract_name: Name = Field(description="合同名称 CONTRACT_NAME")
    is_supplementary: bool | None = Field(default=None, description="是否补充协议")
    tenderer: Party = Field(description="发包人/招标人 (TENDERER_*)")
    contractor: Party = Field(description="承包人/中标人 (WIN_BIDDER_*)")
    contract_amount: Money = Field(description="合同金额 CONTRACT_AMOUNT")
    sign_date: Date = Field(description="合同签订日期 SIGN_DATE")
    time_limit: Name | None = Field(default=None, description="合同工期 TIME_LIMIT")
    plan_start_date: Date | None = Field(default=None, description="计划开工日期")
    plan_end_date: Date | None = Field(default=None, description="计划竣工日期")
    quality: Name | None = Field(default=None, description="质量要求 QUALITY")
    pm_name: Name | None = Field(default=None, description="项目负责人 PM_NAME")
    pm_code: Code | None = Field(default=None, description="项目负责人证书编号 PM_CODE")
    contract_content: Text | None = Field(default=None, description="合同主要内容")
    document: DocumentRef | None = Field(default=None, description="合同文本, by digest")
    publish_time: Timestamp | None = Field(default=None, description="合同公开时间")
    region_code: RegionCode | None = Field(
        default=None, description="the tender project's REGION_CODE, carried for routing"
    )
