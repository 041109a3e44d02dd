"""The record types of schema version 1, in DESIGN.md §4.1 order: the one list that the registry
and the JSON Schema export both read (explicit, no import scanning)."""

from __future__ import annotations

from schemas.base import StandardRecord
from schemas.models.access import AccessEvent
from schemas.models.alert import Alert
from schemas.models.bid import TenderBid
from schemas.models.complaint import Complaint, ComplaintEvent
from schemas.models.contract import Contract
from schemas.models.credit import CreditBlacklist, CreditLicense, CreditPenalty, CreditRepair
from schemas.models.entity import Entity, EntityQualification, EntityStaff
from schemas.models.evaluation import TenderEvaluation
from schemas.models.expert import Expert
from schemas.models.obligation import Obligation
from schemas.models.project import Project
from schemas.models.remote_evaluation import RemoteEvaluation, RemoteEvaluationEvent
from schemas.models.result import TenderAward, TenderCandidate
from schemas.models.tender import TenderNotice, TenderOpening, TenderProject, TenderSection

RECORD_MODELS: tuple[type[StandardRecord], ...] = (
    Project,
    TenderProject,
    TenderSection,
    TenderNotice,
    TenderOpening,
    TenderBid,
    TenderEvaluation,
    TenderCandidate,
    TenderAward,
    Contract,
    Entity,
    EntityQualification,
    EntityStaff,
    Expert,
    CreditLicense,
    CreditPenalty,
    CreditBlacklist,
    CreditRepair,
    Complaint,
    ComplaintEvent,
    RemoteEvaluation,
    RemoteEvaluationEvent,
    Obligation,
    AccessEvent,
    Alert,
)
