"""Pages of the site portal (``/sites/...``: administrators and delegates) and of the operator's
back office (``/access/packs``: packs, activation, extensions, expiries)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clausier.access import rules, shapes
from clausier.access.credentials import service as credential_service
from clausier.access.devices import service as device_service
from clausier.access.events import service as event_service
from clausier.access.packs import service as pack_service
from clausier.access.periods import service as period_service
from clausier.access.records import service as record_service
from clausier.access.rights import service as rights_service
from clausier.access.sites import service as site_service
from clausier.accounts.rules import SITE_ROLES
from clausier.api.deps import Ctx, sites_ctx, staff_ctx
from clausier.core.clock import Clock, SystemClock
from clausier.core.errors import ClausierError
from clausier.web.dashboard import Card
from clausier.web.forms import optional_date, optional_int
from clausier.web.navigation import site_menu
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]


def dashboard_cards(session, gettext, clock: Clock | None = None) -> list[Card]:
    """Back-office cards: packs nearing their end, one per warning horizon."""
    day = (clock or SystemClock()).today()
    return [Card(title=gettext("Packs ending within 1 month") if months == 1 else
                 gettext("Packs ending within %(months)s months") % {"months": months},
                 figure=str(len(rows)), link=f"/access/packs?within_months={months}")
            for months, rows in period_service.packs_ending(session, day).items()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _back(url: str, error: str | None = None, notice: str | None = None) -> RedirectResponse:
    query = f"?error={quote(error)}" if error else f"?notice={quote(notice)}" if notice else ""
    return RedirectResponse(url + query, status_code=303)


def _site_menu(ctx: Ctx, sites: list | None = None, current: int | None = None) -> dict:
    """A site user's menu (``web.navigation.site_menu``): their sites' picker and the pages of
    the site being read; staff keep the back office's menu."""
    if ctx.actor.role not in SITE_ROLES:
        return {}
    sites = site_service.sites_of(ctx.session, ctx.actor) if sites is None else sites
    return {"site_menu": site_menu([s.id for s in sites], current)}


def _site_page(request: Request, ctx: Ctx, site_id: int, template: str, tab: str, values: dict) -> Response:
    site = site_service.get_site(ctx.session, ctx.actor, site_id)
    member = site_service.membership(ctx.session, ctx.actor, site_id)
    return render(request, template, {**_site_menu(ctx, current=site_id),
        "site": site, "tab": tab, "status": pack_service.site_status(ctx.session, site, ctx.clock.today()),
        "is_admin": member is None or member.role == "admin",
        # what the page offers; the services check it again on every change
        "can": lambda need: member is None or member.role == "admin" or need in member.scopes,
        "error": request.query_params.get("error"), "notice": request.query_params.get("notice"), **values})


def _attempt(url: str, action, success: str | None = None) -> RedirectResponse:
    """Run a change; come back to the page with the reason when it is refused."""
    try:
        result = action()
    except ClausierError as exc:
        return _back(url, error=exc.message)
    return _back(url, notice=success(result) if callable(success) else success)


# --------------------------------------------------------------------------- site portal

@router.get("/sites")
def sites_page(request: Request, ctx: Ctx = Depends(sites_ctx)):
    today = ctx.clock.today()
    sites = site_service.sites_of(ctx.session, ctx.actor)
    if ctx.actor.role in SITE_ROLES and len(sites) == 1:
        return RedirectResponse(f"/sites/{sites[0].id}", status_code=303)   # nothing to choose
    return render(request, "access/sites.html", {
        **_site_menu(ctx, sites),
        "sites": [shapes.site_to_dict(s, pack_service.site_status(ctx.session, s, today)) for s in sites]})


@router.get("/sites/{site_id}")
def site_page(request: Request, site_id: int, ctx: Ctx = Depends(sites_ctx)):
    site = site_service.get_site(ctx.session, ctx.actor, site_id)
    pack = site_service.pack_of(ctx.session, site)
    return _site_page(request, ctx, site_id, "access/site.html", "overview", {
        "pack": pack, "offers": pack_service.extension_offers(ctx.session, pack),
        "retention": site.event_retention_months})


@router.post("/sites/{site_id}/extensions", dependencies=CSRF)
def buy_extension(site_id: int, offer_code: str = Form(...), quantity: int = Form(1),
                  ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}", lambda: pack_service.buy_extension(
        ctx.session, ctx.clock, ctx.actor, site_id, offer_code, quantity),
        lambda e: f"+{e.records} user records")


@router.post("/sites/{site_id}/settings", dependencies=CSRF)
def site_settings(site_id: int, call_timeout_seconds: int = Form(...), event_retention_months: str = Form(""),
                  ctx: Ctx = Depends(sites_ctx)):
    def change():
        site_service.set_call_timeout(ctx.session, ctx.clock, ctx.actor, site_id,
                                      call_timeout_seconds)
        site_service.set_event_retention(
            ctx.session, ctx.clock, ctx.actor, site_id,
            optional_int("event_retention_months", event_retention_months))
    return _attempt(f"/sites/{site_id}", change, "Saved")


@router.get("/sites/{site_id}/records")
def records_page(request: Request, site_id: int, search: str = "", ctx: Ctx = Depends(sites_ctx)):
    return _site_page(request, ctx, site_id, "access/records.html", "records", {
        "records": record_service.list_records(ctx.session, ctx.actor, site_id, search),
        "search": search})


def _record_input(name: str, display_name: str, phone_code: str, main_number: str, secondary_numbers: str,
                  app_users: str, groups: str, valid_from: str, valid_until: str,
                  suspended: bool) -> record_service.RecordInput:
    return record_service.RecordInput(name=name, display_name=display_name or None, phone_code=phone_code or None,
                                      main_number=main_number or None, secondary_numbers=_lines(secondary_numbers),
                                      app_users=_lines(app_users), groups=_lines(groups),
                                      valid_from=optional_date("valid_from", valid_from),
                                      valid_until=optional_date("valid_until", valid_until), suspended=suspended)


@router.post("/sites/{site_id}/records", dependencies=CSRF)
def create_record(site_id: int, name: str = Form(...), display_name: str = Form(""), phone_code: str = Form(""),
                  main_number: str = Form(""), secondary_numbers: str = Form(""), app_users: str = Form(""),
                  groups: str = Form(""), valid_from: str = Form(""), valid_until: str = Form(""),
                  ctx: Ctx = Depends(sites_ctx)):
    try:
        data = _record_input(name, display_name, phone_code, main_number, secondary_numbers, app_users,
                             groups, valid_from, valid_until, False)
        row = record_service.create_record(ctx.session, ctx.clock, ctx.actor, site_id, data)
    except ClausierError as exc:
        return _back(f"/sites/{site_id}/records", error=exc.message)
    return _back(f"/sites/{site_id}/records/{row.id}", notice="Record created")


@router.get("/sites/{site_id}/records/{record_id}")
def record_page(request: Request, site_id: int, record_id: int, ctx: Ctx = Depends(sites_ctx)):
    row = record_service.get_record(ctx.session, ctx.actor, site_id, record_id)
    credentials = credential_service.credentials_of(ctx.session, ctx.actor, site_id, record_id)
    return _site_page(request, ctx, site_id, "access/record.html", "records", {
        "record": row,
        "credentials": [(c, credential_service.display_forms(c)) for c in credentials],
        "points": rights_service.access_points(ctx.session, ctx.actor, site_id),
        "calls": site_service.pack_of(ctx.session, site_service.get_site(ctx.session, ctx.actor, site_id)).variant == "A",
        "display_phone": rules.display_phone})


@router.post("/sites/{site_id}/records/{record_id}", dependencies=CSRF)
def update_record(site_id: int, record_id: int, name: str = Form(...), display_name: str = Form(""),
                  phone_code: str = Form(""), main_number: str = Form(""), secondary_numbers: str = Form(""),
                  app_users: str = Form(""), groups: str = Form(""), valid_from: str = Form(""),
                  valid_until: str = Form(""), suspended: bool = Form(False),
                  ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/records/{record_id}", lambda: record_service.update_record(
        ctx.session, ctx.clock, ctx.actor, site_id, record_id, _record_input(
            name, display_name, phone_code, main_number, secondary_numbers, app_users, groups,
            valid_from, valid_until, suspended)), "Saved")


@router.post("/sites/{site_id}/records/{record_id}/delete", dependencies=CSRF)
def delete_record(site_id: int, record_id: int, ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/records", lambda: record_service.delete_record(
        ctx.session, ctx.clock, ctx.actor, site_id, record_id), "Record deleted")


@router.post("/sites/{site_id}/records/{record_id}/credentials", dependencies=CSRF)
def add_credential(site_id: int, record_id: int, kind: str = Form(...), format: str = Form("raw"),
                   value: str = Form(""), facility: str = Form(""), card: str = Form(""), bits: str = Form(""),
                   access_point_id: str = Form(""), ctx: Ctx = Depends(sites_ctx)):
    def number(text: str) -> int | None:
        return int(text) if text.strip().isdecimal() else None
    data = credential_service.CredentialInput(kind, format, value or None, number(facility), number(card), number(bits),
                                              number(access_point_id))
    return _attempt(f"/sites/{site_id}/records/{record_id}",
                    lambda: credential_service.add_credential(
                        ctx.session, ctx.clock, ctx.actor, site_id, record_id, data),
                    "Credential added")


@router.post("/sites/{site_id}/credentials/{credential_id}/delete", dependencies=CSRF)
def remove_credential(site_id: int, credential_id: int, record_id: int = Form(...),
                      ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/records/{record_id}",
                    lambda: credential_service.remove_credential(
                        ctx.session, ctx.clock, ctx.actor, site_id, credential_id),
                    "Credential removed")


@router.post("/sites/{site_id}/records/{record_id}/call-plan", dependencies=CSRF)
def call_plan_fragment(request: Request, site_id: int, record_id: int, busy: list[str] = Form([]),
                       answers: str = Form(""), ctx: Ctx = Depends(sites_ctx)):
    """HTMX fragment: who the panel calls, and how a call goes with the given outcomes."""
    try:
        plan = record_service.call_plan(ctx.session, ctx.actor, site_id, record_id)
    except ClausierError as exc:
        # Another site's record is not found for this user: say so with the status, not a 200.
        status = exc.status if exc.status in (403, 404) else 200
        return render(request, "access/_call_plan.html", {"plan": None, "error": exc.message},
                      status_code=status)
    outcomes = {**{target: "busy" for target in busy}, **({answers: "answered"} if answers else {})}
    return render(request, "access/_call_plan.html", {"plan": plan, "trace": rules.run_call(plan, outcomes),
                                                      "busy": busy, "answers": answers, "error": None,
                                                      "site_id": site_id, "record_id": record_id})


@router.get("/sites/{site_id}/schedules")
def schedules_page(request: Request, site_id: int, ctx: Ctx = Depends(sites_ctx)):
    profiles = rights_service.profiles(ctx.session, ctx.actor, site_id)
    return _site_page(request, ctx, site_id, "access/schedules.html", "schedules", {
        "points": rights_service.access_points(ctx.session, ctx.actor, site_id),
        "profiles": [(p, rights_service.profile_rows(p)) for p in profiles],
        "rights": rights_service.rights(ctx.session, ctx.actor, site_id),
        "records": {r.id: r for r in record_service.list_records(ctx.session, ctx.actor, site_id, limit=5000)}})


@router.post("/sites/{site_id}/access-points", dependencies=CSRF)
def add_point(site_id: int, name: str = Form(...), kind: str = Form("door"),
              ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/schedules", lambda: rights_service.add_access_point(
        ctx.session, ctx.clock, ctx.actor, site_id, name, kind), "Access point added")


@router.post("/sites/{site_id}/profiles", dependencies=CSRF)
def save_profile(site_id: int, name: str = Form(...), segments: str = Form(...), valid_from: str = Form(""),
                 valid_until: str = Form(""), profile_id: str = Form(""),
                 ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/schedules", lambda: rights_service.save_profile(
        ctx.session, ctx.clock, ctx.actor, site_id, name=name, segments=_lines(segments),
        valid_from=optional_date("valid_from", valid_from),
        valid_until=optional_date("valid_until", valid_until),
        profile_id=optional_int("profile_id", profile_id)), "Time slots saved")


@router.post("/sites/{site_id}/rights", dependencies=CSRF)
def grant_right(site_id: int, access_point_id: int = Form(...), profile_id: int = Form(...),
                record_id: str = Form(""), group: str = Form(""), ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/schedules", lambda: rights_service.grant_right(
        ctx.session, ctx.clock, ctx.actor, site_id, access_point_id=access_point_id, profile_id=profile_id,
        record_id=optional_int("record_id", record_id), group=group or None), "Right granted")


@router.post("/sites/{site_id}/rights/{right_id}/delete", dependencies=CSRF)
def revoke_right(site_id: int, right_id: int, ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/schedules", lambda: rights_service.revoke_right(
        ctx.session, ctx.clock, ctx.actor, site_id, right_id), "Right revoked")


@router.get("/sites/{site_id}/delegates")
def delegates_page(request: Request, site_id: int, ctx: Ctx = Depends(sites_ctx)):
    return _site_page(request, ctx, site_id, "access/delegates.html", "delegates", {
        "members": site_service.members(ctx.session, ctx.actor, site_id),
        "scopes": site_service.SCOPES})


@router.post("/sites/{site_id}/delegates", dependencies=CSRF)
def invite_delegate(site_id: int, background: BackgroundTasks, email: str = Form(...),
                    scopes: list[str] = Form([]), ctx: Ctx = Depends(sites_ctx)):
    def invite():
        invitation, secret = site_service.invite_delegate(ctx.session, ctx.clock, ctx.actor,
                                                          site_id, email=email, scopes=scopes)
        site = site_service.get_site(ctx.session, ctx.actor, site_id)
        # mailed once the invitation is committed (after the transaction of the request)
        background.add_task(site_service.send_invitation, site.name, invitation.email, secret)
    return _attempt(f"/sites/{site_id}/delegates", invite, "Invitation sent")


@router.post("/sites/{site_id}/delegates/{member_id}", dependencies=CSRF)
def set_scopes(site_id: int, member_id: int, scopes: list[str] = Form([]),
               ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/delegates", lambda: site_service.set_delegate_scopes(
        ctx.session, ctx.clock, ctx.actor, site_id, member_id, scopes), "Saved")


@router.post("/sites/{site_id}/delegates/{member_id}/delete", dependencies=CSRF)
def remove_delegate(site_id: int, member_id: int, ctx: Ctx = Depends(sites_ctx)):
    return _attempt(f"/sites/{site_id}/delegates", lambda: site_service.remove_delegate(
        ctx.session, ctx.clock, ctx.actor, site_id, member_id), "Delegate removed")


@router.get("/sites/{site_id}/devices")
def devices_page(request: Request, site_id: int, ctx: Ctx = Depends(sites_ctx)):
    return _site_page(request, ctx, site_id, "access/devices.html", "devices", {
        "devices": device_service.devices(ctx.session, ctx.actor, site_id), "token": None})


@router.post("/sites/{site_id}/devices", dependencies=CSRF)
def register_device(request: Request, site_id: int, name: str = Form(...), kind: str = Form("controller"),
                    ctx: Ctx = Depends(sites_ctx)):
    """The token is shown on this answer only (it is stored hashed)."""
    try:
        device, token = device_service.register_device(ctx.session, ctx.clock, ctx.actor, site_id, name, kind)
    except ClausierError as exc:
        return _back(f"/sites/{site_id}/devices", error=exc.message)
    ctx.session.flush()
    return _site_page(request, ctx, site_id, "access/devices.html", "devices", {
        "devices": device_service.devices(ctx.session, ctx.actor, site_id),
        "token": (device, token)})


@router.post("/sites/{site_id}/devices/{device_id}/rotate", dependencies=CSRF)
def rotate_device(request: Request, site_id: int, device_id: int, ctx: Ctx = Depends(sites_ctx)):
    try:
        token = device_service.rotate_site_device_token(ctx.session, ctx.clock, ctx.actor, site_id, device_id)
    except ClausierError as exc:
        return _back(f"/sites/{site_id}/devices", error=exc.message)
    states = device_service.devices(ctx.session, ctx.actor, site_id)
    device = next(s.device for s in states if s.device.id == device_id)
    return _site_page(request, ctx, site_id, "access/devices.html", "devices",
                      {"devices": states, "token": (device, token)})


def _event_filter(kind: str, reason: str, record_id: str, access_point_id: str, since: str,
                  until: str) -> event_service.EventFilter:
    return event_service.EventFilter(kind or None, reason or None,
                                     optional_int("record_id", record_id),
                                     optional_int("access_point_id", access_point_id),
                                     optional_date("since", since), optional_date("until", until))


@router.get("/sites/{site_id}/events")
def events_page(request: Request, site_id: int, kind: str = "", reason: str = "", record_id: str = "",
                access_point_id: str = "", since: str = "", until: str = "",
                ctx: Ctx = Depends(sites_ctx)):
    filters = _event_filter(kind, reason, record_id, access_point_id, since, until)
    return _site_page(request, ctx, site_id, "access/events.html", "events", {
        "events": event_service.list_events(ctx.session, ctx.actor, site_id, filters, limit=500),
        "filters": {"kind": kind, "reason": reason, "record_id": record_id, "access_point_id": access_point_id,
                    "since": since, "until": until},
        "kinds": rules.EVENT_KINDS, "reasons": rules.REASONS,
        "query": str(request.url.query)})


@router.get("/sites/{site_id}/events.csv")
def events_csv(site_id: int, kind: str = "", reason: str = "", record_id: str = "", access_point_id: str = "",
               since: str = "", until: str = "", ctx: Ctx = Depends(sites_ctx)):
    filters = _event_filter(kind, reason, record_id, access_point_id, since, until)
    body = event_service.events_csv(ctx.session, ctx.actor, site_id, filters)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="events-site-{site_id}.csv"'})


# --------------------------------------------------------------------------- back office

@router.get("/access/packs")
def packs_page(request: Request, within_months: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    """Packs and their expiries; ``within_months`` keeps those ending soon."""
    today = ctx.clock.today()
    rows = pack_service.list_packs(ctx.session)
    if within_months:
        rows = [(p, s) for p, s in rows if rules.ends_within(p.service_end, today, within_months)]
    return render(request, "access/packs.html", {
        "rows": [(p, s, rules.service_state(p.service_start, p.service_end, today), pack_service.record_cap(p))
                 for p, s in rows],
        "within_months": within_months or "", "code": request.query_params.get("code"),
        "error": request.query_params.get("error")})


@router.post("/access/packs", dependencies=CSRF)
def open_pack(request: Request, subscription: str = Form(...), site_name: str = Form(""), kind: str = Form("company"),
              ctx: Ctx = Depends(staff_ctx)):
    try:
        pack, _, code = pack_service.open_pack(ctx.session, ctx.clock, ctx.actor, subscription,
                                               site_name=site_name or None, kind=kind)
    except ClausierError as exc:
        return _back("/access/packs", error=exc.message)
    ctx.session.flush()
    return _pack_page(request, ctx, pack.id, code)


def _pack_page(request: Request, ctx: Ctx, pack_id: int, code: str | None) -> Response:
    pack, site = pack_service.get_pack(ctx.session, pack_id)
    status = pack_service.site_status(ctx.session, site, ctx.clock.today())
    return render(request, "access/pack.html", {
        "pack": pack, "site": site, "status": status, "code": code,
        "cap": pack_service.record_cap(pack),
        "subscription_status": pack_service.pack_status(ctx.session, pack),
        "offers": pack_service.extension_offers(ctx.session, pack), "error": request.query_params.get("error"),
        "notice": request.query_params.get("notice")})


@router.get("/access/packs/{pack_id}")
def pack_page(request: Request, pack_id: int, ctx: Ctx = Depends(staff_ctx)):
    return _pack_page(request, ctx, pack_id, None)


@router.post("/access/packs/{pack_id}/code", dependencies=CSRF)
def new_code(request: Request, pack_id: int, ctx: Ctx = Depends(staff_ctx)):
    try:
        code = pack_service.new_activation_code(ctx.session, ctx.clock, ctx.actor, pack_id)
    except ClausierError as exc:
        return _back(f"/access/packs/{pack_id}", error=exc.message)
    return _pack_page(request, ctx, pack_id, code)


@router.post("/access/packs/{pack_id}/extensions", dependencies=CSRF)
def staff_extension(pack_id: int, offer_code: str = Form(...), quantity: int = Form(1), ctx: Ctx = Depends(staff_ctx)):
    _, site = pack_service.get_pack(ctx.session, pack_id)
    return _attempt(f"/access/packs/{pack_id}", lambda: pack_service.buy_extension(
        ctx.session, ctx.clock, ctx.actor, site.id, offer_code, quantity), lambda e: f"+{e.records} user records")


@router.post("/access/packs/{pack_id}/suspend", dependencies=CSRF)
def suspend_pack(pack_id: int, reason: str = Form(""), ctx: Ctx = Depends(staff_ctx)):
    return _attempt(f"/access/packs/{pack_id}", lambda: pack_service.suspend_pack(
        ctx.session, ctx.clock, ctx.actor, pack_id, reason), "Services suspended")


@router.post("/access/packs/{pack_id}/resume", dependencies=CSRF)
def resume_pack(pack_id: int, reason: str = Form(""), ctx: Ctx = Depends(staff_ctx)):
    return _attempt(f"/access/packs/{pack_id}", lambda: pack_service.resume_pack(
        ctx.session, ctx.clock, ctx.actor, pack_id, reason), "Services resumed")
