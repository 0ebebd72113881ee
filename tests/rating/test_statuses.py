"""Statuses of fraud alerts and penalty proposals are closed lists (rating.fraud.rules), read back
as their members; the fraud desk's refusals carry stable codes (issue "Room boundaries")."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from clausier.core.errors import InvalidInput, NotAllowed
from clausier.rating import shapes
from clausier.rating.cdr import service as cdr_service
from clausier.rating.fraud import service as fraud_service
from clausier.rating.statuses import AlertStatus, ProposalStatus
from clausier.rating.models import FraudAlert, PenaltyProposal
from clausier.rating.month import service as month_service
from tests.rating.conftest import csv_row, write_csv


@pytest.fixture
def robot_alert(session, clock, actor, subscribe, store, tmp_path) -> int:
    """SIP trunk CP IV §8.1.4.1 L3465-3477: automated calls presenting a mobile number raise an
    alert and a penalty proposed to staff (§10.3 L3617-3621)."""
    subscribe("sip_trunk", "0247000002", unit="channel", quantity=2)
    rows = [csv_row(f"R{i}", "0247000002", calling="0612345678", traffic="automated",
                    start=f"2026-10-06T10:{i // 60:02d}:{i % 60:02d}+02:00") for i in range(50)]
    cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    month_service.rate(session, clock, actor, "2026-10", store)
    session.flush()
    return session.scalar(select(FraudAlert.id).where(FraudAlert.kind == "automated_caller_id"))


def test_statuses_read_from_the_database_are_the_members(session, robot_alert):
    session.expunge_all()
    alert = session.get(FraudAlert, robot_alert)
    [proposal] = session.scalars(select(PenaltyProposal).where(PenaltyProposal.alert_id == alert.id))
    assert alert.status is AlertStatus.OPEN
    assert proposal.status is ProposalStatus.PROPOSED
    assert shapes.alert_dict(alert)["status"] == "open"


def test_a_status_outside_the_list_is_refused_naming_it(session, robot_alert):
    session.get(FraudAlert, robot_alert).status = "forgotten"
    with pytest.raises(StatementError, match="'forgotten' is not a valid AlertStatus"):
        session.flush()


def test_a_penalty_of_an_unconfirmed_alert_is_refused_with_a_stable_code_cp_iv_10_3(
        session, clock, actor, robot_alert):
    # CP IV §10.3: the penalty is billed once staff have confirmed the robot.
    [proposal] = fraud_service.proposals_of(session, robot_alert)
    with pytest.raises(NotAllowed) as refused:
        fraud_service.decide_penalty(session, clock, actor, proposal.id, "confirm")
    assert refused.value.code == "penalty_alert_not_confirmed"
    with pytest.raises(InvalidInput) as unknown:
        fraud_service.list_alerts(session, status="forgotten")
    assert unknown.value.code == "fraud_alert_status_unknown"
