"""`tender.project`, `tender.section`, `tender.notice`, `tender.opening` (DOMAIN §3.2).

Keys follow the hierarchy 项目 → 招标项目 → 标段(包): TENDER_PROJECT_CODE identifies a tender
project, TENDER_PROJECT_CODE + BID_SECTION_CODE a section. A notice is identified by the publishing
platform's own notice id (`notice_code`), because one tender project has several notices (original,
变更, 澄清) and nothing in the national dataset tells them apart across versions. The opening
record is kept per section (a source record that lists several BID_SECTION_CODES is split by the
adapter): bids, evaluations and results are all per section.

Records below the tender project carry the tender project's REGION_CODE as an optional
`region_code`: the national datasets leave it out, but routing needs it; when it is absent the
caller supplies the jurisdiction.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schemas.base import (
    Code,
    Count,
    Money,
    Name,
    Party,
    RegionCode,
    StandardRecord,
    Text,
    Timestamp,
    TradeType,
    UnifiedDealCode,
    Url,
)

_REGION = "the tender project's REGION_CODE, carried for routing (absent from the national dataset)"


class TenderProject(StandardRecord):
    """招标项目 TENDER_PROJECT. The tenderer and agency are Party tuples (`*_NAME, *_CODE_TYPE,
    *_CODE, *_ROLE, *_REGION_CODE`); their `*_PROPERTY` stays beside them."""

    record_type = "tender.project"
    business_key = ("tender_project_code",)
    jurisdiction_fields = ("region_code",)

    project_code: Code | None = Field(default=None, description="项目编号 PROJECT_CODE")
    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    tender_self_code: Code | None = Field(default=None, description="招标项目自编号 TENDER_SELF_CODE")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    tender_project_name: Name = Field(description="招标项目名称 TENDER_PROJECT_NAME")
    tender_project_type: Code | None = Field(default=None, description="招标项目类型 TENDER_PROJECT_TYPE")
    tender_project_industries_type: Code | None = Field(
        default=None, description="招标项目行业分类 TENDER_PROJECT_INDUSTRIES_TYPE (Shanxi)"
    )
    trade_type: TradeType | None = Field(default=None, description="交易分类 (公共资源交易分类, DEAL_TYPE)")
    is_to_law: bool | None = Field(default=None, description="是否依法必须招标 IS_TO_LAW")
    region_code: RegionCode = Field(description="招标项目所在行政区域代码 REGION_CODE")
    tender_content: Text | None = Field(default=None, description="招标内容与范围 TENDER_CONTENT")
    owner_name: Name | None = Field(default=None, description="项目业主名称 OWNER_NAME")
    tenderer: Party = Field(description="招标人 TENDERER_NAME/_CODE_TYPE/_CODE/_ROLE/_REGION_CODE")
    tenderer_property: Name | None = Field(default=None, description="招标人性质 TENDERER_PROPERTY")
    is_union: bool | None = Field(default=None, description="是否联合招标 ISUNION")
    tender_agency: Party | None = Field(
        default=None, description="招标代理机构 TENDER_AGENCY_NAME/_CODE_TYPE/_CODE/_ROLE/_REGION_CODE"
    )
    tender_agency_property: Name | None = Field(
        default=None, description="代理机构性质 TENDER_AGENCY_PROPERTY"
    )
    tender_mode: Code | None = Field(default=None, description="招标方式 TENDER_MODE")
    tender_organize_form: Code | None = Field(default=None, description="招标组织形式 TENDER_ORGANIZE_FORM")
    create_time: Timestamp | None = Field(default=None, description="招标项目建立时间 CREATE_TIME")
    supervise_dept_name: Name | None = Field(default=None, description="监督部门名称 SUPERVISE_DEPT_NAME")
    supervise_dept_code: Code | None = Field(default=None, description="监督部门代码 SUPERVISE_DEPT_CODE")
    approve_dept_name: Name | None = Field(default=None, description="审核部门名称 APPROVE_DEPT_NAME")
    approve_dept_code: Code | None = Field(default=None, description="审核部门代码 APPROVE_DEPT_CODE")
    report_duty: Name | None = Field(default=None, description="申报责任人 REPORT_DUTY")
    operation_name: Name | None = Field(default=None, description="经办人 OPERATION_NAME")
    trade_system_no: Code | None = Field(default=None, description="交易系统编号 TRADE_SYSTEM_NO")
    trade_system_fee: Money | None = Field(default=None, description="交易服务费 TRADE_SYSTEM_FEE")


class TenderSection(StandardRecord):
    """标段(包) SECTION."""

    record_type = "tender.section"
    business_key = ("tender_project_code", "bid_section_code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    bid_section_name: Name = Field(description="标段(包)名称 BID_SECTION_NAME")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODE"
    )
    bid_section_content: Text | None = Field(default=None, description="标段(包)内容 BID_SECTION_CONTENT")
    tender_project_classify_code: Code | None = Field(
        default=None, description="标段分类代码 TENDER_PROJECT_CLASSIFY_CODE (Fujian; Gansu A03…A12)"
    )
    control_price: Money | None = Field(default=None, description="最高投标限价 CONTROL_PRICE")
    region_code: RegionCode | None = Field(default=None, description=_REGION)


SectionCodes = Annotated[list[Code], Field(min_length=1)]


class TenderNotice(StandardRecord):
    """招标公告 (Shanxi GCJS tender notice)."""

    record_type = "tender.notice"
    business_key = ("tender_project_code", "notice_code")
    jurisdiction_fields = ("region_code",)

    project_code: Code | None = Field(default=None, description="项目编号 PROJECT_CODE")
    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    notice_code: Code = Field(description="公告标识: the notice's id on the publishing platform (PLATID)")
    bid_section_codes: SectionCodes = Field(description="标段(包)编号 BID_SECTION_CODES")
    unified_deal_codes: Annotated[list[UnifiedDealCode], Field(min_length=1)] | None = Field(
        default=None, description="统一交易标识码 UNIFIED_DEAL_CODES"
    )
    notice_name: Name = Field(description="公告名称 NOTICE_NAME")
    notice_content: Text | None = Field(default=None, description="公告内容 NOTICE_CONTENT")
    notice_send_time: Timestamp = Field(description="公告发布时间 NOTICE_SEND_TIME")
    notice_media: Name | None = Field(default=None, description="发布媒介 NOTICE_MEDIA")
    url: Url | None = Field(default=None, description="公告链接 URL")
    notice_nature: Code | None = Field(default=None, description="公告性质 NOTICE_NATURE (正常, 变更 …)")
    bulletin_type: Code | None = Field(default=None, description="公告类型 BULLETIN_TYPE")
    doc_get_start_time: Timestamp | None = Field(
        default=None, description="文件获取开始时间 DOC_GET_START_TIME"
    )
    doc_get_end_time: Timestamp | None = Field(default=None, description="文件获取截止时间 DOC_GET_END_TIME")
    tender_doc_get_method: Name | None = Field(
        default=None, description="招标文件获取方法 TENDER_DOC_GET_METHOD"
    )
    bid_doc_refer_end_time: Timestamp | None = Field(
        default=None, description="投标文件递交截止时间 BID_DOC_REFER_END_TIME"
    )
    bid_open_time: Timestamp | None = Field(default=None, description="开标时间 BID_OPEN_TIME")
    doc_price: Money | None = Field(default=None, description="文件售价 DOC_PRICE")
    bulletin_duty: Name | None = Field(default=None, description="公告发布责任人 BULLETIN_DUTY")
    examiner_name: Name | None = Field(default=None, description="审核人 EXAMINER_NAME")
    attachment_code: Code | None = Field(default=None, description="附件关联标识号 ATTACHMENT_CODE")
    region_code: RegionCode | None = Field(default=None, description=_REGION)


class TenderOpening(StandardRecord):
    """开标记录 GCJS_OPENING_RECORD, one per section."""

    record_type = "tender.opening"
    business_key = ("tender_project_code", "bid_section_code")
    jurisdiction_fields = ("region_code",)

    project_code: Code | None = Field(default=None, description="项目编号 PROJECT_CODE")
    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 (one of BID_SECTION_CODES)")
    unified_deal_code: UnifiedDealCode | None = Field(
        default=None, description="统一交易标识码 (one of UNIFIED_DEAL_CODES)"
    )
    bid_opening_time: Timestamp = Field(description="开标时间 BID_OPENING_TIME")
    bid_opening_address: Name | None = Field(default=None, description="开标地点 BID_OPENING_ADDRESS")
    bid_opening_actor: Name | None = Field(default=None, description="开标人 BID_OPENING_ACTOR")
    bid_opening_content: Text | None = Field(default=None, description="开标内容 BID_OPENING_CONTENT")
    notice_name: Name | None = Field(default=None, description="公告名称 NOTICE_NAME")
    url: Url | None = Field(default=None, description="链接 URL")
    bidder_count: Count | None = Field(default=None, description="投标人数量 (count of bids opened)")
    region_code: RegionCode | None = Field(default=None, description=_REGION)
