"""Refusals of the remote evaluation and obligation workflows, each with its stable code."""

from __future__ import annotations

from schemas.errors import GatewayError


class RemoteEvaluationError(GatewayError):
    code = "remote.invalid"
    status = 422


class SessionExistsError(RemoteEvaluationError):
    code = "remote.session_exists"
    status = 409


class UnknownSessionError(RemoteEvaluationError):
    code = "remote.unknown_session"
    status = 404


class UnknownVenueError(RemoteEvaluationError):
    code = "remote.unknown_venue"


class DuplicateVenueError(RemoteEvaluationError):
    code = "remote.duplicate_venue"


class ExpertInTwoVenuesError(RemoteEvaluationError):
    code = "remote.expert_in_two_venues"


class UnknownExpertError(RemoteEvaluationError):
    code = "remote.unknown_expert"


class WrongVenueError(RemoteEvaluationError):
    code = "remote.wrong_venue"


class NotHostError(RemoteEvaluationError):
    """Only the host (主场) department leads: registers, investigates, concludes, writes, copies."""

    code = "remote.not_host"
    status = 403


class NotGuestError(RemoteEvaluationError):
    """Only a guest (客场) venue hands records over, answers letters or reports from its venue."""

    code = "remote.not_guest"
    status = 403


class NotParticipantError(RemoteEvaluationError):
    code = "remote.not_participant"
    status = 403


class UnknownFaultError(RemoteEvaluationError):
    code = "remote.unknown_fault"


class UnknownInvestigationError(RemoteEvaluationError):
    code = "remote.unknown_investigation"


class InvestigationStateError(RemoteEvaluationError):
    code = "remote.investigation_state"
    status = 409


class NoExpertsThereError(RemoteEvaluationError):
    """A copy (抄送) goes only to a guest jurisdiction whose experts the conclusion involves."""

    code = "remote.no_experts_there"


class UnknownLetterError(RemoteEvaluationError):
    code = "remote.unknown_letter"


class AnswerDeadlineMissingError(RemoteEvaluationError):
    code = "remote.answer_by_required"


class EventInvalidError(RemoteEvaluationError):
    code = "remote.event_invalid"


class UnknownObligationError(GatewayError):
    code = "obligation.not_found"
    status = 404


class NoDeadlineRuleError(GatewayError):
    code = "obligation.no_rule"
    status = 422
