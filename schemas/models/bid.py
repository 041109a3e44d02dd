"""`tender.bid`: one entry of the 投标人名单 (TENDER_LIST) with its bid-file fingerprint.

The key is section + bidder code: a bidder submits once per section, and a later version (a
withdrawal, IS_LOST) replaces the earlier one. The fingerprint (投标文件特征码 / 制作工具,
`GY_BID_DOC_CHARACT_CODE`, `GY_BIDDER_MAKE_TOOL_INFO`) is what the 文件制作雷同性 indicator
compares between bidders (DOMAIN §10.6), so its hardware values must be comparable as strings:
MD5 in lower-case hex, MAC addresses as upper-case colon-separated pairs; the adapter normalises.
Placeholder hardware values that sources send ("000000", "unknown") are kept as given; the
indicator drops them.

Personal numbers are not carried: the bid manager's ID number becomes a keyed hash (see
`schemas.base.KeyedHash`); certificate numbers are professional registrations and stay as given.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from schemas.base import (
    Code,
    Count,
    DecimalString,
    Digest,
    KeyedHash,
    Md5Hex,
    Money,
    Name,
    Party,
    RegionCode,
    StandardModel,
    StandardRecord,
    Timestamp,
    Url,
)

MacAddress = Annotated[str, StringConstraints(pattern=r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")]


class BidFileFingerprint(StandardModel):
    """投标文件特征码 and 制作工具 information of the sealed bid file."""

    bid_document_name: Name | None = Field(default=None, description="投标文件名称 BID_DOCUMENT_NAME")
    bid_document_size: Count | None = Field(default=None, description="文件大小 (bytes) BID_DOCUMENT_SIDE")
    bid_document_md5: Md5Hex | None = Field(default=None, description="文件MD5 BID_DOCUMENT_MD5 (lower-case)")
    submit_time: Timestamp | None = Field(
        default=None, description="固化时间 SUBMITTIME / TENDER_DOC_SUBMITTIME (file-sealing time)"
    )
    cpu_id: Code | None = Field(default=None, description="CPU序列号 CPU_ID")
    hard_disk_serial_number: Code | None = Field(
        default=None, description="硬盘序列号 HARD_DISK_SERIAL_NUMBER"
    )
    memory_serial_number: Code | None = Field(default=None, description="内存序列号 MEMORY_SERIAL_NUMBER")
    net_id: Code | None = Field(default=None, description="网络标识 (IP) NET_ID")
    mac_address: MacAddress | None = Field(
        default=None, description="MAC地址 MAC_ADDRESS (AA:BB:CC:DD:EE:FF)"
    )
    tool_version: Name | None = Field(default=None, description="制作工具版本 TOOL_VERSION")
    tender_documents_url: Url | None = Field(default=None, description="投标文件地址 TENDER_DOCUMENTS_URL")
    valuation_digest: Digest | None = Field(
        default=None, description="计价软硬件信息 VALUATION_XML, by digest of the XML bytes"
    )


class TenderBid(StandardRecord):
    """投标人名单 TENDER_LIST entry."""

    record_type = "tender.bid"
    business_key = ("tender_project_code", "bid_section_code", "bidder.code")
    jurisdiction_fields = ("region_code",)

    tender_project_code: Code = Field(description="招标项目编号 TENDER_PROJECT_CODE")
    bid_section_code: Code = Field(description="标段(包)编号 BID_SECTION_CODE")
    bidder: Party = Field(
        description="投标人 BIDDER_NAME/BIDDER_CODE_TYPE/BIDDER_ORG_CODE/BIDDER_ROLE/BIDDER_REGION_CODE"
    )
    bidder_property: Name | None = Field(default=None, description="投标人性质 BIDDER_PROPERTY")
    bidder_credit_score: DecimalString | None = Field(default=None, description="信用分 BIDDER_CREDIT_SCORE")
    is_lost: bool | None = Field(default=None, description="是否撤回/失效 IS_LOST")
    union_members: Annotated[list[Party], Field(min_length=1)] | None = Field(
        default=None, description="联合体成员 UNION_ENTERPRISE_NAME / UNION_ORGAN_SET_CODE"
    )
    operation_person: Name | None = Field(default=None, description="投标经办人 BIDDER_OPERATION_PERSON")
    bid_manager: Name | None = Field(default=None, description="项目负责人 BID_MANAGER")
    bid_manager_id: KeyedHash | None = Field(
        default=None, description="项目负责人身份证号 ID_CARD, as a keyed hash"
    )
    regist_certificate: Code | None = Field(default=None, description="注册证书编号 REGIST_CERTIFICATE")
    pm_code: Code | None = Field(default=None, description="项目经理编号 PM_CODE")
    pm_certificates: Name | None = Field(default=None, description="项目经理证书 PM_CERTIFICATES")
    margin_pay_form: Name | None = Field(default=None, description="保证金缴纳方式 MARGIN_PAY_FORM")
    is_commit_margin: bool | None = Field(default=None, description="是否缴纳保证金 IS_COMMIT_MARGIN")
    margin_receive_time: Timestamp | None = Field(
        default=None, description="保证金到账时间 MARGIN_RECEIVE_TIME"
    )
    price_form_code: Code | None = Field(default=None, description="报价形式 PRICE_FORM_CODE")
    bid_price: Money | None = Field(
        default=None, description="投标报价 BID_PRICE (+PRICE_CURRENCY, PRICE_UNIT)"
    )
    other_bid_price: Name | None = Field(
        default=None, description="其他类型报价 OTHER_BID_PRICE (费率, 下浮率 …)"
    )
    time_limit: Name | None = Field(default=None, description="工期/交货期 TIME_LIMIT")
    is_review_shortlisted: bool | None = Field(
        default=None, description="是否通过资格审查 IS_REVIEW_SHORTLISTED"
    )
    checkin_time: Timestamp | None = Field(default=None, description="签到时间 CHECKIN_TIME")
    bid_file: BidFileFingerprint | None = Field(default=None, description="投标文件特征码 / 制作工具信息")
    region_code: RegionCode | None = Field(
        default=None, description="the tender project's REGION_CODE, carried for routing"
    )
