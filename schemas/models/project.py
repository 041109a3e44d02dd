"""`project`: the 项目 (PROJECT) at the top of 项目 → 招标项目 → 标段(包) (DOMAIN §3.2).

The business key is PROJECT_CODE alone: it embeds the region and a platform sequence (DOMAIN §2.7).
The record concerns the project's REGION_CODE. `invest_project_code` (投资项目统一代码) is the
lifecycle key that links the project to approval, permits and completion (DOMAIN §12).
"""

from __future__ import annotations

from pydantic import Field

from schemas.base import Code, InvestProjectCode, Money, Name, RegionCode, StandardRecord, Text, Timestamp


class Project(StandardRecord):
    """项目 PROJECT."""

    record_type = "project"
    business_key = ("project_code",)
    jurisdiction_fields = ("region_code",)

    project_code: Code = Field(description="项目编号 PROJECT_CODE")
    project_name: Name = Field(description="项目名称 PROJECT_NAME")
    region_code: RegionCode = Field(description="项目所在行政区域代码 REGION_CODE")
    invest_project_code: InvestProjectCode | None = Field(
        default=None, description="投资项目统一代码 INVEST_PROJECT_CODE (四库 PRJCODE)"
    )
    address: Name | None = Field(default=None, description="项目地址 ADDRESS")
    legal_person: Name | None = Field(default=None, description="项目法人 LEGAL_PERSON")
    industries_type: Code | None = Field(default=None, description="项目行业分类 INDUSTRIES_TYPE")
    fund_source: Name | None = Field(default=None, description="资金来源 FUND_SOURCE")
    contribution_scale: Name | None = Field(default=None, description="出资比例 CONTRIBUTION_SCALE")
    project_scale: Text | None = Field(default=None, description="项目规模 PROJECT_SCALE")
    total_investment: Money | None = Field(
        default=None, description="总投资 ALLINVEST (四库, 万元 at source)"
    )
    contactor: Name | None = Field(default=None, description="联系人 CONTACTOR")
    contact_information: Name | None = Field(default=None, description="联系方式 CONTACT_INFORMATION")
    approval_name: Name | None = Field(default=None, description="项目审批文件名称 APPROVAL_NAME")
    approval_number: Code | None = Field(default=None, description="项目审批文号 APPROVAL_NUMBER")
    approval_authority: Name | None = Field(default=None, description="项目审批单位 APPROVAL_AUTHORITY")
    create_time: Timestamp | None = Field(default=None, description="项目建立时间 CREATE_TIME")
