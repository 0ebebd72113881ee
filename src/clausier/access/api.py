"""``/api/v1/access/...`` for site administrators, delegates and staff; ``/api/v1/devices/...``
for the site devices (authenticated by their own token)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlalchemy.orm import Session

from clausier.access import rules, shapes
from clausier.access.credentials import service as credential_service
from clausier.access.devices import service as device_service
from clausier.access.events import service as event_service
from clausier.access.models import Device
from clausier.access.packs import service as pack_service
from clausier.access.records import service as record_service
from clausier.access.rights import service as rights_service
from clausier.access.sites import service as site_service
from clausier.access.sync import service as sync_service
from clausier.api.deps import (Ctx, csrf_for_cookie_sessions, entering, get_clock, get_session,
                               signed_in, staff_user, user_from_request)
from clausier.api.inputs import Day, Input, Moment, Page, page_of_list
from clausier.audit.service import Actor
from clausier.core.clock import PARIS, Clock
from clausier.core.errors import Unauthenticated
from clausier.db.session import single_read, transaction, write_transaction

router = APIRouter(prefix="/api/v1", tags=["access"])
# The device API: polled many times a second, so matched before every other route (api/app.py).
first_router = APIRouter(prefix="/api/v1", tags=["devices"])
def access_ctx(request: Request, background: BackgroundTasks,
               session: Session = Depends(get_session, scope="function"),
               clock: Clock = Depends(get_clock), _csrf: None = Depends(csrf_for_cookie_sessions)) -> Ctx:
    user = entering("sites", signed_in(user_from_request(request, session, clock, background)))
    return Ctx(session=session, clock=clock, user=user)


def access_staff_ctx(ctx: Ctx = Depends(access_ctx)) -> Ctx:
    staff_user(ctx.user)
    return ctx


# --------------------------------------------------------------------------- bodies

class PackIn(Input):
    subscription: str = Field(description="Subscription reference or id (family intercom_pack or access_pack)")
    site_name: str | None = None
    kind: str = "company"
    call_timeout_seconds: int = 20
    records: int | None = Field(None, description="Default: the user records of the ordered offers")


class ActivationIn(Input):
    code: str
    email: str
    name: str
    password: str
    on: Day | None = None


class SettingsIn(Input):
    call_timeout_seconds: int | None = None
    event_retention_months: int | None = None
    reset_event_retention: bool = False


class RecordIn(Input):
    name: str
    display_name: str | None = None
    phone_code: str | None = None
    main_number: str | None = None
    secondary_numbers: list[str] = []
    app_users: list[str] = []
    groups: list[str] = []
    valid_from: Day | None = None
    valid_until: Day | None = None
    suspended: bool = False

    def to_input(self) -> record_service.RecordInput:
        return record_service.RecordInput(**self.model_dump())


class CredentialIn(Input):
    kind: str = Field(description="badge | remote | keypad")
    format: str = Field("raw", description="wiegand26 | wiegand34 | raw (badges and remotes)")
    value: str | None = Field(None, description="hex frame (raw) or the keypad code")
    facility: int | None = None
    card: int | None = None
    bits: int | None = None
    access_point_id: int | None = None


class AccessPointIn(Input):
    name: str
    kind: str = "door"


class ProfileIn(Input):
    name: str
    segments: list[str] = Field(description="rows such as 'mon 08:00-12:00' or 'holiday 10:00-12:00'")
    valid_from: Day | None = None
    valid_until: Day | None = None


class RightIn(Input):
    access_point_id: int
    profile_id: int
    record_id: int | None = None
    group: str | None = None


class InvitationIn(Input):
    email: str
    scopes: list[str]


class AcceptanceIn(Input):
    secret: str = Field(description="The code of the invitation's mail.")
    name: str
    password: str = Field(description="A new password, or the account's own if it has one.")


class ScopesIn(Input):
    scopes: list[str]


class ExtensionIn(Input):
    offer_code: str
    quantity: int = 1


class DeviceIn(Input):
    name: str
    kind: str = "controller"


class DecideIn(Input):
    via: str = Field(description="badge | remote | keypad | app")
    access_point_id: int
    at: Moment
    format: str = "raw"
    value: str | None = None
    facility: int | None = None
    card: int | None = None
    bits: int | None = None
    record_id: int | None = Field(None, description="for via=app: who opens from the video call")


class CallSimulationIn(Input):
    outcomes: dict[str, str] = Field(description="target -> answered | busy | no_answer")


class AckIn(Input):
    version: int


class EventBody(Input):
    seq: int = Field(ge=1, le=2**63 - 1)
    at: Moment
    kind: str = Field(max_length=20)
    reason: str | None = Field(None, max_length=30)
    record_id: int | None = Field(None, ge=1, le=2**31 - 1)
    access_point_id: int | None = Field(None, ge=1, le=2**31 - 1)
    credential: str | None = Field(None, max_length=80)
    details: dict = {}


class BatchIn(Input):
    batch_id: str = Field(min_length=1, max_length=64)
    events: list[EventBody] = Field(max_length=5000)


def _json(data: object, status_code: int = 200) -> Response:
    # Snapshots hold tens of thousands of rows: encoded directly, not through jsonable_encoder.
    return Response(json.dumps(data, default=_plain, ensure_ascii=False, separators=(",", ":")),
                    status_code=status_code, media_type="application/json")


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


# --------------------------------------------------------------------------- packs (staff)

@router.get("/access/packs")
def list_packs(ctx: Ctx = Depends(access_staff_ctx)) -> list[dict]:
    return [{"pack_id": pack.id, "site_id": site.id, "site": site.name, "variant": pack.variant,
             "subscription_id": pack.subscription_id, "records_cap": pack_service.record_cap(pack),
             "activated_on": pack.activated_on, "service_start": pack.service_start,
             "service_end": pack.service_end, "status": pack_service.pack_status(ctx.session, pack)}
            for pack, site in pack_service.list_packs(ctx.session)]


@router.post("/access/packs", status_code=201)
def open_pack(body: PackIn, ctx: Ctx = Depends(access_staff_ctx)) -> dict:
    pack, site, code = pack_service.open_pack(ctx.session, ctx.clock, ctx.actor, body.subscription,
                                              site_name=body.site_name, kind=body.kind,
                                              call_timeout_seconds=body.call_timeout_seconds, records=body.records)
    return {"pack_id": pack.id, "site_id": site.id, "activation_code": code,
            "records_cap": pack.records_ordered, "variant": pack.variant}


class SuspensionIn(Input):
    reason: str = Field(description="Why (shown to the site administrator)")


def _pack_out(ctx: Ctx, pack_id: int) -> dict:
    pack, site = pack_service.get_pack(ctx.session, pack_id)
    status = pack_service.site_status(ctx.session, site, ctx.clock.today())
    return {"pack_id": pack.id, "site_id": site.id, "status": pack_service.pack_status(ctx.session, pack),
            "synchronised": not status.why, "why": status.why, "sim_return": status.sim_return}


@router.post("/access/packs/{pack_id}/suspend")
def suspend_pack(pack_id: int, body: SuspensionIn, ctx: Ctx = Depends(access_staff_ctx)) -> dict:
    """Suspend the pack's associated services (CP A art. 3 L279-285), with the reason."""
    pack_service.suspend_pack(ctx.session, ctx.clock, ctx.actor, pack_id, body.reason)
    return _pack_out(ctx, pack_id)


@router.post("/access/packs/{pack_id}/resume")
def resume_pack(pack_id: int, body: SuspensionIn | None = None, ctx: Ctx = Depends(access_staff_ctx)) -> dict:
    pack_service.resume_pack(ctx.session, ctx.clock, ctx.actor, pack_id,
                             body.reason if body else "")
    return _pack_out(ctx, pack_id)


@router.post("/access/packs/{pack_id}/code")
def new_code(pack_id: int, ctx: Ctx = Depends(access_staff_ctx)) -> dict:
    return {"activation_code": pack_service.new_activation_code(ctx.session, ctx.clock, ctx.actor, pack_id)}


@router.post("/access/activate", status_code=201)
def activate(body: ActivationIn, session: Session = Depends(get_session, scope="function"),
             clock: Clock = Depends(get_clock)) -> dict:
    """The administrator activates the pack with its code and chooses their credentials."""
    site = pack_service.activate_pack(session, clock, Actor(name=f"activation:{body.email.lower()}", role="site_admin"),
                                      code=body.code, email=body.email, name=body.name, password=body.password,
                                      on=body.on)
    return shapes.site_to_dict(site, pack_service.site_status(session, site, clock.today()))


# --------------------------------------------------------------------------- sites

@router.get("/access/sites")
def list_sites(ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [shapes.site_to_dict(s, pack_service.site_status(ctx.session, s, ctx.clock.today())) for s in site_service.sites_of(ctx.session, ctx.actor)]


@router.get("/access/sites/{site_id}")
def get_site(site_id: int, ctx: Ctx = Depends(access_ctx)) -> dict:
    site = site_service.get_site(ctx.session, ctx.actor, site_id)
    return shapes.site_to_dict(site, pack_service.site_status(ctx.session, site, ctx.clock.today()))


@router.put("/access/sites/{site_id}/settings")
def site_settings(site_id: int, body: SettingsIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    if body.call_timeout_seconds is not None:
        site_service.set_call_timeout(ctx.session, ctx.clock, ctx.actor, site_id, body.call_timeout_seconds)
    if body.event_retention_months is not None or body.reset_event_retention:
        site_service.set_event_retention(ctx.session, ctx.clock, ctx.actor, site_id,
                                         None if body.reset_event_retention else body.event_retention_months)
    return get_site(site_id, ctx)


@router.get("/access/sites/{site_id}/extensions")
def extension_offers(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    site = site_service.get_site(ctx.session, ctx.actor, site_id)
    pack = site_service.pack_of(ctx.session, site)
    return [{"offer_code": o.code, "name": o.name, "records": o.attributes["user_records"],
             "price": str(o.one_off_price), "price_basis": o.price_basis}
            for o in pack_service.extension_offers(ctx.session, pack)]


@router.post("/access/sites/{site_id}/extensions", status_code=201)
def buy_extension(site_id: int, body: ExtensionIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    extension = pack_service.buy_extension(ctx.session, ctx.clock, ctx.actor, site_id, body.offer_code, body.quantity)
    return {"id": extension.id, "records": extension.records, "charge_id": extension.charge_id,
            **{k: v for k, v in get_site(site_id, ctx).items() if k in ("records", "record_cap")}}


# --------------------------------------------------------------------------- records and credentials

@router.get("/access/sites/{site_id}/records")
def list_records(site_id: int, search: str = "", page: Page = Depends(page_of_list),
                 ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [shapes.record_to_dict(r) for r in record_service.list_records(
        ctx.session, ctx.actor, site_id, search, page.limit, page.offset)]


@router.post("/access/sites/{site_id}/records", status_code=201)
def create_record(site_id: int, body: RecordIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    return shapes.record_to_dict(record_service.create_record(ctx.session, ctx.clock, ctx.actor, site_id, body.to_input()))


@router.post("/access/sites/{site_id}/records/import", status_code=201)
def import_records(site_id: int, body: list[RecordIn], ctx: Ctx = Depends(access_ctx)) -> dict:
    created = record_service.import_records(ctx.session, ctx.clock, ctx.actor, site_id, [r.to_input() for r in body])
    return {"created": len(created)}


@router.get("/access/sites/{site_id}/records/{record_id}")
def get_record(site_id: int, record_id: int, ctx: Ctx = Depends(access_ctx)) -> dict:
    row = record_service.get_record(ctx.session, ctx.actor, site_id, record_id)
    return {**shapes.record_to_dict(row), "credentials": [
        shapes.credential_to_dict(c) for c in credential_service.credentials_of(ctx.session, ctx.actor, site_id, record_id)]}


@router.put("/access/sites/{site_id}/records/{record_id}")
def update_record(site_id: int, record_id: int, body: RecordIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    return shapes.record_to_dict(record_service.update_record(ctx.session, ctx.clock, ctx.actor, site_id, record_id,
                                                                      body.to_input()))


@router.delete("/access/sites/{site_id}/records/{record_id}", status_code=204)
def delete_record(site_id: int, record_id: int, ctx: Ctx = Depends(access_ctx)) -> Response:
    record_service.delete_record(ctx.session, ctx.clock, ctx.actor, site_id, record_id)
    return Response(status_code=204)


@router.post("/access/sites/{site_id}/records/{record_id}/credentials", status_code=201)
def add_credential(site_id: int, record_id: int, body: CredentialIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    row = credential_service.add_credential(ctx.session, ctx.clock, ctx.actor, site_id, record_id,
                                            credential_service.CredentialInput(**body.model_dump()))
    return shapes.credential_to_dict(row)


@router.delete("/access/sites/{site_id}/credentials/{credential_id}", status_code=204)
def remove_credential(site_id: int, credential_id: int, ctx: Ctx = Depends(access_ctx)) -> Response:
    credential_service.remove_credential(ctx.session, ctx.clock, ctx.actor, site_id, credential_id)
    return Response(status_code=204)


@router.get("/access/sites/{site_id}/records/{record_id}/call-plan")
def call_plan(site_id: int, record_id: int, ctx: Ctx = Depends(access_ctx)) -> dict:
    return record_service.call_plan(ctx.session, ctx.actor, site_id, record_id).as_dict()


@router.post("/access/sites/{site_id}/records/{record_id}/call-plan/simulate")
def simulate_call(site_id: int, record_id: int, body: CallSimulationIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    trace = rules.run_call(record_service.call_plan(ctx.session, ctx.actor, site_id, record_id), body.outcomes)
    return {"attempts": [{"channel": c, "target": t, "outcome": o} for c, t, o in trace.attempts],
            "answered_by": trace.answered_by, "door_open_offered": trace.door_open_offered}


# --------------------------------------------------------------------------- points, time slots, rights

@router.get("/access/sites/{site_id}/access-points")
def list_points(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [{"id": p.id, "name": p.name, "kind": p.kind} for p in rights_service.access_points(ctx.session, ctx.actor, site_id)]


@router.post("/access/sites/{site_id}/access-points", status_code=201)
def add_point(site_id: int, body: AccessPointIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    point = rights_service.add_access_point(ctx.session, ctx.clock, ctx.actor, site_id, body.name, body.kind)
    return {"id": point.id, "name": point.name, "kind": point.kind}


def _profile_out(profile) -> dict:
    return {"id": profile.id, "name": profile.name, "valid_from": profile.valid_from,
            "valid_until": profile.valid_until, "segments": rights_service.profile_rows(profile)}


@router.get("/access/sites/{site_id}/profiles")
def list_profiles(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [_profile_out(p) for p in rights_service.profiles(ctx.session, ctx.actor, site_id)]


@router.post("/access/sites/{site_id}/profiles", status_code=201)
def create_profile(site_id: int, body: ProfileIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    return _profile_out(rights_service.save_profile(ctx.session, ctx.clock, ctx.actor, site_id, **body.model_dump()))


@router.put("/access/sites/{site_id}/profiles/{profile_id}")
def replace_profile(site_id: int, profile_id: int, body: ProfileIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    return _profile_out(rights_service.save_profile(ctx.session, ctx.clock, ctx.actor, site_id, profile_id=profile_id,
                                                    **body.model_dump()))


@router.get("/access/sites/{site_id}/rights")
def list_rights(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [{"id": r.id, "record_id": r.record_id, "group": r.group, "access_point_id": r.access_point_id,
             "profile_id": r.profile_id}
            for r in rights_service.rights(ctx.session, ctx.actor, site_id)]


@router.post("/access/sites/{site_id}/rights", status_code=201)
def grant_right(site_id: int, body: RightIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    right = rights_service.grant_right(ctx.session, ctx.clock, ctx.actor, site_id,
                                       **body.model_dump())
    return {"id": right.id}


@router.delete("/access/sites/{site_id}/rights/{right_id}", status_code=204)
def revoke_right(site_id: int, right_id: int, ctx: Ctx = Depends(access_ctx)) -> Response:
    rights_service.revoke_right(ctx.session, ctx.clock, ctx.actor, site_id, right_id)
    return Response(status_code=204)


@router.post("/access/sites/{site_id}/decide")
def decide(site_id: int, body: DecideIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    """Would this pass? The same decision function the devices run."""
    key = None
    if body.via != "app":
        key = credential_service.presented_credential(body.via, fmt=body.format, value=body.value, facility=body.facility,
                                                      card=body.card, bits=body.bits, access_point_id=body.access_point_id)
    at = body.at if body.at.tzinfo else body.at.replace(tzinfo=PARIS)   # decisions use local time
    return sync_service.decide(ctx.session, ctx.actor, site_id, rules.Presented(
        body.via, body.access_point_id, at.astimezone(PARIS), key, body.record_id)).as_dict()


# --------------------------------------------------------------------------- delegates

@router.get("/access/sites/{site_id}/delegates")
def list_delegates(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [{"id": m.id, "email": u.email, "name": u.name, "role": m.role, "scopes": m.scopes}
            for m, u in site_service.members(ctx.session, ctx.actor, site_id)]


@router.post("/access/sites/{site_id}/delegates", status_code=202)
def invite_delegate(site_id: int, body: InvitationIn, background: BackgroundTasks,
                    ctx: Ctx = Depends(access_ctx)) -> dict:
    """Invite a delegate by e-mail; the same answer whether the address has an account or not.
    The mail leaves once the invitation is committed."""
    invitation, secret = site_service.invite_delegate(ctx.session, ctx.clock, ctx.actor, site_id,
                                                      email=body.email, scopes=body.scopes)
    site = site_service.get_site(ctx.session, ctx.actor, site_id)
    background.add_task(site_service.send_invitation, site.name, invitation.email, secret)
    return {"invited": invitation.email, "scopes": invitation.scopes}


@router.post("/access/invitations/accept", status_code=201)
def accept_invitation(body: AcceptanceIn,
                      session: Session = Depends(get_session, scope="function"),
                      clock: Clock = Depends(get_clock)) -> dict:
    """The invitee joins the site (no login: the mail's code is the proof)."""
    member = site_service.accept_invitation(session, clock, secret=body.secret, name=body.name,
                                            password=body.password)
    return {"site_id": member.site_id, "id": member.id, "scopes": member.scopes}


@router.put("/access/sites/{site_id}/delegates/{member_id}")
def set_scopes(site_id: int, member_id: int, body: ScopesIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    member = site_service.set_delegate_scopes(ctx.session, ctx.clock, ctx.actor, site_id, member_id, body.scopes)
    return {"id": member.id, "scopes": member.scopes}


@router.delete("/access/sites/{site_id}/delegates/{member_id}", status_code=204)
def remove_delegate(site_id: int, member_id: int, ctx: Ctx = Depends(access_ctx)) -> Response:
    site_service.remove_delegate(ctx.session, ctx.clock, ctx.actor, site_id, member_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- devices and events (portal side)

def _device_out(state: device_service.DeviceState) -> dict:
    d = state.device
    return {"id": d.id, "name": d.name, "kind": d.kind, "active": d.active, "last_seen_at": d.last_seen_at,
            "version_applied": d.version_applied, "pending_changes": state.pending_changes,
            "failed_syncs": [{"at": f.at, "operation": f.operation, "reason": f.reason, "detail": f.detail}
                             for f in state.failures]}


@router.get("/access/sites/{site_id}/devices")
def list_devices(site_id: int, ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    return [_device_out(s) for s in device_service.devices(ctx.session, ctx.actor, site_id)]


@router.post("/access/sites/{site_id}/devices", status_code=201)
def register_device(site_id: int, body: DeviceIn, ctx: Ctx = Depends(access_ctx)) -> dict:
    device, token = device_service.register_device(ctx.session, ctx.clock, ctx.actor, site_id, body.name, body.kind)
    return {"id": device.id, "token": token}


@router.post("/access/sites/{site_id}/devices/{device_id}/rotate")
def rotate_device(site_id: int, device_id: int, ctx: Ctx = Depends(access_ctx)) -> dict:
    return {"token": device_service.rotate_site_device_token(ctx.session, ctx.clock, ctx.actor, site_id, device_id)}


def _filters(kind: str | None, reason: str | None, record_id: int | None, access_point_id: int | None,
             since: date | None, until: date | None) -> event_service.EventFilter:
    return event_service.EventFilter(kind or None, reason or None, record_id, access_point_id, since, until)


def _event_out(e) -> dict:
    return {"id": e.id, "device_id": e.device_id, "sequence": e.sequence, "at": e.at, "kind": e.kind,
            "reason": e.reason, "record_id": e.record_id, "access_point_id": e.access_point_id,
            "credential": e.credential}


@router.get("/access/sites/{site_id}/events")
def list_events(site_id: int, kind: str | None = None, reason: str | None = None,
                record_id: int | None = None, access_point_id: int | None = None,
                since: Day | None = None, until: Day | None = None,
                page: Page = Depends(page_of_list), ctx: Ctx = Depends(access_ctx)) -> list[dict]:
    filters = _filters(kind, reason, record_id, access_point_id, since, until)
    return [_event_out(e) for e in event_service.list_events(ctx.session, ctx.actor, site_id,
                                                             filters, page.limit, page.offset)]


@router.get("/access/sites/{site_id}/events.csv")
def events_csv(site_id: int, kind: str | None = None, reason: str | None = None,
               record_id: int | None = None, access_point_id: int | None = None,
               since: Day | None = None, until: Day | None = None,
               ctx: Ctx = Depends(access_ctx)) -> Response:
    filters = _filters(kind, reason, record_id, access_point_id, since, until)
    body = event_service.events_csv(ctx.session, ctx.actor, site_id, filters)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="events-site-{site_id}.csv"'})


# --------------------------------------------------------------------------- the device API

def _device_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthenticated("authorization: send 'Authorization: Bearer <device token>'")
    return header[7:].strip()


def _answer(answer: sync_service.SyncAnswer, refused_status: int = 409, if_none_match: str | None = None) -> Response:
    if answer.refused:
        title = "Not synchronised" if refused_status == 409 else "Invalid input"
        return _json({"type": "about:blank", "title": title, "status": refused_status,
                      "detail": answer.message, "reason": answer.refused}, status_code=refused_status)
    headers = {"etag": answer.etag} if answer.etag else None
    if answer.etag and if_none_match == answer.etag:
        return Response(status_code=304, headers=headers)
    if answer.body is not None:
        return Response(answer.body, media_type="application/json", headers=headers)
    response = _json(answer.payload)
    if headers:
        response.headers.update(headers)
    return response


_SEEN = sync_service.SeenBuffer()


def _snapshot_folder(request: Request) -> Path | None:
    settings = getattr(request.app.state, "settings", None)
    return sync_service.snapshot_folder(settings) if settings is not None else None


def _poll_state(request: Request, clock: Clock) -> sync_service.PollState:
    """Who polls and their site's state: one indexed read, outside any transaction."""
    with single_read(request.app.state.engine) as connection:
        return sync_service.poll_state(connection, _device_token(request), clock.today())


def _seen_due(state: sync_service.PollState, now: datetime) -> dict:
    """A stale last-seen stamp goes to the batch; the stamps to write now (the batch is written
    every few seconds by whichever poll is due)."""
    if not sync_service.seen_is_stale(state.last_seen_at, now):
        return {}
    sync_service.mark_seen(state, now)
    return _SEEN.add(state.device_id, now)


def _write_seen(request: Request, due: dict) -> None:
    with write_transaction(request.app.state.engine) as session:
        sync_service.note_seen(session, due)


def _device_read(request: Request, clock: Clock, state: sync_service.PollState,
                 read: Callable[[Session, sync_service.PollState], sync_service.SyncAnswer]
                 ) -> Response:
    """A poll stays a read: a refusal is written afterwards, and last-seen stamps are written
    in batches."""
    engine = request.app.state.engine
    with transaction(engine) as session:
        answer = read(session, state)
    now = clock.now()
    if answer.refused:
        with write_transaction(engine) as session:
            sync_service.note_contact(session, clock, state.device_id, answer)
    elif due := _seen_due(state, now):
        _write_seen(request, due)
    return _answer(answer, if_none_match=request.headers.get("if-none-match"))


def _device_write(request: Request, clock: Clock, write: Callable[[Session, Device], sync_service.SyncAnswer],
                  refused_status: int = 409) -> Response:
    with write_transaction(request.app.state.engine) as session:
        device = device_service.device_for_token(session, _device_token(request))
        answer = write(session, device)
        sync_service.note_contact(session, clock, device.id, answer)
    return _answer(answer, refused_status)


@first_router.get("/devices/me/snapshot")
def device_snapshot(request: Request) -> Response:
    """The whole configuration of the device's site (the first sync, or after a reset). Its
    ``ETag`` names the version: sent back in ``If-None-Match``, an unchanged one answers 304."""
    clock, folder = request.app.state.clock, _snapshot_folder(request)
    state, if_none_match = _poll_state(request, clock), request.headers.get("if-none-match")
    etag = sync_service.device_snapshot_etag(state, clock.today())
    if state.refusal is None and if_none_match == etag:      # unchanged: the snapshot is not read
        if due := _seen_due(state, clock.now()):
            _write_seen(request, due)
        return _answer(sync_service.SyncAnswer("snapshot", etag=etag), if_none_match=if_none_match)
    return _device_read(request, clock, state,
                        lambda s, state: sync_service.device_snapshot(s, clock, state, folder))


@first_router.get("/devices/me/delta")
async def device_delta(request: Request, since: int) -> Response:
    """What changed after the version the device holds (its ``ETag`` in ``If-None-Match``:
    304 when nothing did)."""
    # An up-to-date device (nearly every poll) is answered on the event loop after one indexed
    # read, without a thread hop or a session; anything more goes to the thread pool.
    clock = request.app.state.clock
    state = _poll_state(request, clock)
    if state.refusal is None and since == state.site_version:
        answer = sync_service.device_delta(None, clock, state, since)
        now = clock.now()
        if due := _seen_due(state, now):
            await run_in_threadpool(_write_seen, request, due)
        return _answer(answer, if_none_match=request.headers.get("if-none-match"))
    return await run_in_threadpool(_device_read, request, clock, state,
                                   lambda s, st: sync_service.device_delta(s, clock, st, since))


@first_router.post("/devices/me/ack")
def device_ack(request: Request, body: AckIn) -> Response:
    """The version the device applied (shown on the portal)."""
    clock = request.app.state.clock
    state = _poll_state(request, clock)
    with write_transaction(request.app.state.engine) as session:
        answer = sync_service.device_ack(session, clock, state, body.version)
        if answer.refused:
            sync_service.note_contact(session, clock, state.device_id, answer)
    return _answer(answer)


@first_router.post("/devices/me/events")
def device_events(request: Request, body: BatchIn, clock: Clock = Depends(get_clock)) -> Response:
    """A batch of events with the device's sequence numbers; a re-sent batch is stored once."""
    events = [event_service.EventIn(e.seq, e.at, e.kind, e.reason, e.record_id, e.access_point_id, e.credential,
                                    e.details) for e in body.events]
    return _device_write(request, clock, lambda s, d: event_service.device_events(s, clock, d, body.batch_id, events),
                         refused_status=422)


@first_router.post("/devices/me/rotate")
def device_rotate(request: Request, clock: Clock = Depends(get_clock)) -> dict:
    with write_transaction(request.app.state.engine) as session:
        device = device_service.device_for_token(session, _device_token(request))
        return {"token": device_service.rotate_device_token(session, clock, device_service.device_actor(device), device)}
