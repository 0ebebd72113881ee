"""``clausier access ...`` (packs, sites, records, credentials, time slots, devices, events, tick)
and ``clausier device ...`` (a simulated site device with its local SQLite copy)."""

from __future__ import annotations

import csv
import threading
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from clausier.cli.common import (JsonOption, TodayOption, command, console,
                                 print_json, print_table)
from clausier.core.clock import clock_for
from clausier.core.errors import InvalidInput
from clausier.core.settings import Settings

if TYPE_CHECKING:
    from clausier.access import simulator


app = typer.Typer(no_args_is_help=True, help="Access control: prepaid packs, sites, records, devices.")
device_app = typer.Typer(no_args_is_help=True, help="A simulated access-control device.")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


# --------------------------------------------------------------------------- packs and sites

@app.command("packs")
def list_packs(as_json: bool = JsonOption):
    """Packs with their service period and record cap (the operator's expiry list)."""
    from clausier.access.packs import service as pack_service

    with command() as cmd:
        rows = [{"pack": p.id, "site": s.id, "name": s.name, "variant": p.variant,
                 "records_cap": pack_service.record_cap(p), "activated_on": p.activated_on,
                 "service_start": p.service_start, "service_end": p.service_end,
                 "status": pack_service.pack_status(cmd.session, p)}
                for p, s in pack_service.list_packs(cmd.session)]
    if as_json:
        print_json(rows)
        return
    print_table("Packs", ["Pack", "Site", "Name", "Variant", "Cap", "Activated", "Start", "End", "Status"],
                [list(r.values()) for r in rows])


@app.command("suspend-pack")
def suspend_pack(pack: int, reason: str = typer.Option(..., help="Why (shown to the site administrator)."), today: datetime | None = TodayOption):
    """Suspend a pack's associated services (CP A art. 3 L279-285): no more sync, the app's door
    opening refused with the reason 'suspended'."""
    from clausier.access.packs import service as pack_service

    with command(today) as cmd:
        pack_service.suspend_pack(cmd.session, cmd.clock, cmd.actor, pack, reason)
    console.print(f"Pack {pack}: services suspended — {reason}")


@app.command("resume-pack")
def resume_pack(pack: int, reason: str = typer.Option("", help="Why (audited)."), today: datetime | None = TodayOption):
    """Resume a suspended pack's services: devices synchronise again at their next poll."""
    from clausier.access.packs import service as pack_service

    with command(today) as cmd:
        pack_service.resume_pack(cmd.session, cmd.clock, cmd.actor, pack, reason)
    console.print(f"Pack {pack}: services resumed")


@app.command("open-pack")
def open_pack(subscription: str, site_name: str = typer.Option(None), kind: str = typer.Option("company"),
              records: int = typer.Option(None, help="Default: the user records of the ordered offers."),
              today: datetime | None = TodayOption):
    """Set up the platform for a sold pack; prints the administrator's activation code."""
    from clausier.access.packs import service as pack_service

    with command(today) as cmd:
        pack, site, code = pack_service.open_pack(cmd.session, cmd.clock, cmd.actor, subscription,
                                                  site_name=site_name, kind=kind, records=records)
    console.print(f"Pack {pack.id} (variant {pack.variant}), site {site.id} {site.name}: "
                  f"activation code [bold]{code}[/]")


@app.command()
def activate(code: str = typer.Option(...), email: str = typer.Option(...), name: str = typer.Option(...),
             password: str = typer.Option(..., prompt=True, hide_input=True), today: datetime = TodayOption):
    """Activate a pack as its administrator (starts the 120-month service period)."""
    from clausier.access import shapes
    from clausier.access.packs import service as pack_service

    with command(today) as cmd:
        site = pack_service.activate_pack(cmd.session, cmd.clock, cmd.actor, code=code, email=email, name=name,
                                          password=password, on=_day(today))
        data = shapes.site_to_dict(site, pack_service.site_status(cmd.session, site, cmd.clock.today()))
    console.print(f"Site {data['id']} activated: service {data['service']['start']} → {data['service']['end']}")


@app.command("sites")
def list_sites(today: datetime = TodayOption, as_json: bool = JsonOption):
    from clausier.access import shapes
    from clausier.access.packs import service as pack_service
    from clausier.access.sites import service as site_service

    with command(today) as cmd:
        rows = [shapes.site_to_dict(s, pack_service.site_status(cmd.session, s, cmd.clock.today())) for s in site_service.sites_of(cmd.session, cmd.actor)]
    if as_json:
        print_json(rows)
        return
    print_table("Access sites", ["Id", "Name", "Variant", "Records", "Service end", "Synchronised"],
                [[r["id"], r["name"], r["variant"], f"{r['records']}/{r['record_cap']}", r["service"]["end"],
                  "yes" if r["service"]["synchronised"] else r["service"]["why"]] for r in rows])


@app.command()
def extend(site: int, offer: str, quantity: int = typer.Option(1), today: datetime | None = TodayOption):
    """Buy a user-record extension (billed on the next invoice)."""
    from clausier.access.packs import service as pack_service

    with command(today) as cmd:
        extension = pack_service.buy_extension(cmd.session, cmd.clock, cmd.actor, site, offer,
                                               quantity)
    console.print(f"+{extension.records} user records (charge {extension.charge_id})")


# --------------------------------------------------------------------------- records and credentials

@app.command("records")
def list_records(site: int, search: str = typer.Option(""), as_json: bool = JsonOption):
    from clausier.access import shapes
    from clausier.access.records import service as record_service

    with command() as cmd:
        rows = [shapes.record_to_dict(r) for r in record_service.list_records(cmd.session, cmd.actor, site, search)]
    if as_json:
        print_json(rows)
        return
    print_table("User records", ["Id", "Name", "Display", "Main number", "Secondary", "Groups", "Until"],
                [[r["id"], r["name"], r["display_name"], r["main_number"], ", ".join(r["secondary_numbers"]),
                  ", ".join(r["groups"]), r["valid_until"]] for r in rows])


@app.command("add-record")
def add_record(site: int, name: str, display_name: str = typer.Option(None), main: str = typer.Option(None),
               secondary: list[str] = typer.Option([], help="Repeat, in calling order."),
               app_user: list[str] = typer.Option([]), group: list[str] = typer.Option([]),
               phone_code: str = typer.Option(None),
               today: datetime | None = TodayOption):
    from clausier.access.records import service as record_service

    with command(today) as cmd:
        row = record_service.create_record(
            cmd.session, cmd.clock, cmd.actor, site, record_service.RecordInput(
                name=name, display_name=display_name, main_number=main, secondary_numbers=secondary,
                app_users=app_user, groups=group, phone_code=phone_code))
    console.print(f"Record {row.id} {row.name}")


@app.command("import-records")
def import_records(site: int, file: Path, today: datetime | None = TodayOption):
    """CSV with columns name, display_name, main_number, secondary_numbers (';'-separated), groups."""
    from clausier.access.records import service as record_service

    with file.open(newline="", encoding="utf-8") as handle:
        rows = [record_service.RecordInput(
            name=r["name"], display_name=r.get("display_name") or None, main_number=r.get("main_number") or None,
            secondary_numbers=[n for n in (r.get("secondary_numbers") or "").split(";") if n],
            groups=[g for g in (r.get("groups") or "").split(";") if g]) for r in csv.DictReader(handle)]
    with command(today) as cmd:
        created = record_service.import_records(cmd.session, cmd.clock, cmd.actor, site, rows)
    console.print(f"{len(created)} records imported")


def _badge_option(value: str | None, name: str) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        facility, card = value.split("/")
        return int(facility), int(card)
    except ValueError:
        raise typer.BadParameter(f"{name}: write FACILITY/CARD, e.g. 123/4567") from None


@app.command("add-credential")
def add_credential(site: int, record: int, kind: str = typer.Option("badge", help="badge | remote | keypad"),
                   wiegand26: str = typer.Option(None, help="FACILITY/CARD"),
                   wiegand34: str = typer.Option(None, help="FACILITY/CARD"),
                   hex_value: str = typer.Option(None, "--hex"), bits: int = typer.Option(None),
                   code: str = typer.Option(None), point: int = typer.Option(None),
                   today: datetime | None = TodayOption):
    """A badge or remote (H10301 26-bit, 34-bit or raw hex + bits) or a keypad code for a point."""
    from clausier.access.credentials import service as credential_service

    w26, w34 = _badge_option(wiegand26, "--wiegand26"), _badge_option(wiegand34, "--wiegand34")
    fmt, pair = ("wiegand26", w26) if w26 else ("wiegand34", w34) if w34 else ("raw", (None, None))
    data = credential_service.CredentialInput(kind, fmt, code if kind == "keypad" else hex_value, pair[0], pair[1], bits, point)
    with command(today) as cmd:
        row = credential_service.add_credential(cmd.session, cmd.clock, cmd.actor, site, record,
                                                data)
        forms = credential_service.display_forms(row)
    console.print(f"Credential {row.id}: {' = '.join(forms.values())}")


@app.command("add-point")
def add_point(site: int, name: str, kind: str = typer.Option("door"), today: datetime | None = TodayOption):
    from clausier.access.rights import service as rights_service

    with command(today) as cmd:
        point = rights_service.add_access_point(cmd.session, cmd.clock, cmd.actor, site, name, kind)
    console.print(f"Access point {point.id} {point.name}")


@app.command()
def profile(site: int, name: str, segment: list[str] = typer.Option(..., help="'mon 08:00-12:00', 'holiday …'"),
            profile_id: int = typer.Option(None, help="Replace this profile."),
            today: datetime | None = TodayOption):
    """Create or replace a weekly time-slot profile (several segments a day, holiday row)."""
    from clausier.access.rights import service as rights_service

    with command(today) as cmd:
        row = rights_service.save_profile(cmd.session, cmd.clock, cmd.actor, site, name=name, segments=segment,
                                          profile_id=profile_id)
        rows = rights_service.profile_rows(row)
    console.print(f"Profile {row.id} {row.name}: {', '.join(rows)}")


@app.command()
def grant(site: int, point: int = typer.Option(...), profile_id: int = typer.Option(..., "--profile"),
          record: int = typer.Option(None), group: str = typer.Option(None),
          today: datetime | None = TodayOption):
    from clausier.access.rights import service as rights_service

    with command(today) as cmd:
        right = rights_service.grant_right(cmd.session, cmd.clock, cmd.actor, site,
                                           access_point_id=point, profile_id=profile_id,
                                           record_id=record, group=group)
    console.print(f"Right {right.id}")


@app.command("call-plan")
def call_plan(site: int, record: int, busy: list[str] = typer.Option([], help="Numbers that are busy."),
              answers: str = typer.Option(None, help="The number or app user that answers."),
              as_json: bool = JsonOption):
    """Who the panel calls, in which order; with --busy/--answers, how a call would go."""
    from clausier.access.records import service as record_service
    from clausier.access import rules

    with command() as cmd:
        plan = record_service.call_plan(cmd.session, cmd.actor, site, record)
    trace = rules.run_call(plan, {**{n: "busy" for n in busy}, **({answers: "answered"} if answers else {})})
    if as_json:
        print_json({**plan.as_dict(), "simulation": {"attempts": trace.attempts, "answered_by": trace.answered_by}})
        return
    print_table(f"Call plan — {plan.display_name}", ["Step", "Channel", "Target", "Rings (s)", "Next on", "Door"],
                [[s.order, s.channel, s.target, s.ring_seconds, ", ".join(s.next_on), "yes" if s.door_open else ""]
                 for s in plan.steps])
    console.print(" → ".join(f"{t} ({o})" for _, t, o in trace.attempts) or "no call")


# --------------------------------------------------------------------------- devices and events

@app.command("register-device")
def register_device(site: int, name: str, kind: str = typer.Option("controller"), today: datetime | None = TodayOption):
    """Prints the device token (shown once)."""
    from clausier.access.devices import service as device_service

    with command(today) as cmd:
        device, token = device_service.register_device(cmd.session, cmd.clock, cmd.actor, site,
                                                       name, kind)
    console.print(f"Device {device.id}: token [bold]{token}[/]")


@app.command("devices")
def list_devices(site: int, as_json: bool = JsonOption):
    from clausier.access.devices import service as device_service

    with command() as cmd:
        rows = [{"id": s.device.id, "name": s.device.name, "last_seen_at": s.device.last_seen_at,
                 "version_applied": s.device.version_applied, "pending_changes": s.pending_changes,
                 "failed_syncs": len(s.failures)} for s in device_service.devices(cmd.session, cmd.actor, site)]
    if as_json:
        print_json(rows)
        return
    print_table("Devices", ["Id", "Name", "Last seen", "Version", "Pending", "Failed syncs"],
                [list(r.values()) for r in rows])


@app.command("events")
def list_events(site: int, kind: str = typer.Option(None), reason: str = typer.Option(None),
                since: datetime = typer.Option(None, formats=["%Y-%m-%d"]),
                until: datetime = typer.Option(None, formats=["%Y-%m-%d"]),
                csv_file: Path = typer.Option(None, "--csv", help="Write every matching event to this file."),
                as_json: bool = JsonOption):
    from clausier.access.events import service as event_service

    filters = event_service.EventFilter(kind, reason, None, None, _day(since), _day(until))
    with command() as cmd:
        if csv_file:
            csv_file.write_text(event_service.events_csv(cmd.session, cmd.actor, site, filters), encoding="utf-8")
            console.print(f"Events written to {csv_file}")
            return
        rows = [{"at": e.at, "device": e.device_id, "seq": e.sequence, "kind": e.kind, "reason": e.reason,
                 "record": e.record_id, "point": e.access_point_id}
                for e in event_service.list_events(cmd.session, cmd.actor, site, filters)]
    if as_json:
        print_json(rows)
        return
    print_table("Events", ["At", "Device", "Seq", "Kind", "Reason", "Record", "Point"], [list(r.values()) for r in rows])


@app.command()
def tick(today: datetime = TodayOption):
    """The access step of the daily tick: periods, end warnings, end of sync."""
    from clausier.access.periods import service as period_service

    with command(today) as cmd:
        summary = period_service.daily_tick(cmd.session, cmd.clock, cmd.actor, cmd.clock.today())
    console.print(summary)


# --------------------------------------------------------------------------- clausier device ...

def _store_path(state: Path | None, site: int | None) -> Path:
    if state:
        return state
    if site is None:
        raise typer.BadParameter("give --state or --site")
    return Settings.from_env().data_dir / "devices" / f"site-{site}.sqlite"


def _device(state: Path, url: str | None, at: datetime | None = None) -> simulator.SimulatedDevice:
    from clausier.access import simulator

    import httpx

    store = simulator.DeviceStore(state)
    base = url or store.get("url") or f"http://{Settings.from_env().host}:{Settings.from_env().port}"
    store.put(url=base)
    return simulator.SimulatedDevice(store, httpx.Client(base_url=base, timeout=10),
                                     clock_for(at=at))


@device_app.command()
def simulate(site: int = typer.Option(..., help="Access site id."), url: str = typer.Option(None),
             state: Path = typer.Option(None, help="Local SQLite file (default var/devices/site-S.sqlite)."),
             name: str = typer.Option("simulated controller"), interval: float = typer.Option(30.0),
             rounds: int = typer.Option(0, help="Stop after N sync rounds (0: run until Ctrl-C)."),
             mqtt: bool = typer.Option(False, help="Also wake up on the MQTT 'new version' push."),
             today: datetime | None = TodayOption):
    """Run a device: registers itself the first time, then syncs and uploads its events every
    INTERVAL seconds (and at once on an MQTT push); offline, it keeps its events for later."""
    from clausier.access.devices import service as device_service
    from clausier.access import simulator

    path = _store_path(state, site)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = simulator.DeviceStore(path)
    if not store.get("token"):
        with command(today) as cmd:
            device, token = device_service.register_device(cmd.session, cmd.clock, cmd.actor,
                                                           site, name)
        store.put(token=token, device_id=device.id, site_id=site)
    device = _device(path, url)
    wake = threading.Event()
    if mqtt:
        _subscribe(site, wake)
    done = 0
    while not rounds or done < rounds:
        outcome = device.sync()
        sent = device.upload()
        console.print(f"{outcome.kind} v{outcome.version} {outcome.detail} — {sent} events sent, "
                      f"{store.pending_events()} waiting")
        done += 1
        if rounds and done >= rounds:
            break
        wake.wait(interval)
        wake.clear()


def _subscribe(site: int, wake: threading.Event) -> None:
    from clausier.access import push
    from urllib.parse import urlparse

    try:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
    except ImportError:
        console.print("[yellow]paho-mqtt not installed: polling only[/]")
        return
    target = urlparse(Settings.from_env().mqtt_url or "mqtt://127.0.0.1:1883")
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda *_: wake.set()
    try:
        client.connect(target.hostname or "127.0.0.1", target.port or 1883)
    except OSError as exc:
        console.print(f"[yellow]MQTT broker unreachable ({exc}): polling only[/]")
        return
    client.subscribe(push.topic(site), qos=1)
    client.loop_start()


# What is presented at a reader: the options ``device present`` and ``access decide`` share.
PointOption = typer.Option(..., "--point", help="Access point id.")
Wiegand26Option = typer.Option(None, "--wiegand26", help="FACILITY/CARD")
Wiegand34Option = typer.Option(None, "--wiegand34", help="FACILITY/CARD")
HexOption = typer.Option(None, "--hex", help="Raw badge or remote value, hexadecimal.")
BitsOption = typer.Option(None, "--bits", help="Bit length of the raw value.")
RemoteOption = typer.Option(False, "--remote", help="The raw value comes from the HF receiver.")
CodeOption = typer.Option(None, "--code", help="Keypad code.")
AppRecordOption = typer.Option(None, "--app-record", help="Door opened from the app by this record.")


def _presented(point: int, wiegand26: str | None, wiegand34: str | None, hex_value: str | None,
               bits: int | None, remote: bool, code: str | None,
               app_record: int | None) -> tuple[str, str | None]:
    """(via, credential key) for what is presented; bad input names its option."""
    from clausier.access.credentials import service as credential_service

    w26, w34 = _badge_option(wiegand26, "--wiegand26"), _badge_option(wiegand34, "--wiegand34")
    try:
        if app_record is not None:
            return "app", None
        if code is not None:
            return "keypad", credential_service.presented_credential("keypad", value=code, access_point_id=point)
        fmt, pair = ("wiegand26", w26) if w26 else ("wiegand34", w34) if w34 else ("raw", (None, None))
        via = "remote" if remote else "badge"
        return via, credential_service.presented_credential(
            via, fmt=fmt, value=hex_value, facility=pair[0], card=pair[1], bits=bits,
            access_point_id=point)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from None


def _print_decision(decision, detail: str, as_json: bool, **extra) -> None:
    """The decision; a refusal exits with code 2 (with --json, the decision is the answer)."""
    if as_json:
        print_json({**decision.as_dict(), **extra})
    else:
        colour = "green" if decision.granted else "red"
        console.print(f"[{colour}]{decision.reason}[/] ({detail})")
    if not decision.granted:
        raise typer.Exit(code=2)


@app.command()
def decide(site: int, point: int = PointOption, wiegand26: str = Wiegand26Option,
           wiegand34: str = Wiegand34Option, hex_value: str = HexOption, bits: int = BitsOption,
           remote: bool = RemoteOption, code: str = CodeOption, app_record: int = AppRecordOption,
           at: datetime = typer.Option(None, "--at", help="When (ISO, Paris time); default now.",
                                       formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
           as_json: bool = JsonOption):
    """Would this pass? The platform's decision, by the same function the devices run on their
    copy (changes nothing, logs nothing). A refusal exits with code 2."""
    from clausier.access import rules
    from clausier.access.sync import service as sync_service
    from clausier.core.clock import PARIS

    via, key = _presented(point, wiegand26, wiegand34, hex_value, bits, remote, code, app_record)
    with command(json_errors=as_json) as cmd:
        moment = at.replace(tzinfo=PARIS) if at else cmd.clock.now().astimezone(PARIS)
        decision = sync_service.decide(cmd.session, cmd.actor, site, rules.Presented(
            via, point, moment, key, app_record))
    _print_decision(decision, f"record {decision.record_id}, {moment.isoformat()}", as_json,
                    site=site, access_point_id=point, at=moment.isoformat())


@device_app.command()
def present(state: Path = typer.Option(...), point: int = PointOption,
            wiegand26: str = Wiegand26Option, wiegand34: str = Wiegand34Option,
            hex_value: str = HexOption, bits: int = BitsOption, remote: bool = RemoteOption,
            code: str = CodeOption, app_record: int = AppRecordOption,
            at: datetime = typer.Option(None, help="Device time (ISO); default now."),
            as_json: bool = JsonOption):
    """Decide offline from the local copy, as the device would, and log the event. A refusal
    exits with code 2."""
    device = _device(state, None, at)
    via, key = _presented(point, wiegand26, wiegand34, hex_value, bits, remote, code, app_record)
    decision = device.present(via, point, key, app_record)
    _print_decision(decision, f"record {decision.record_id}, version {device.store.version}, "
                              f"{device.store.pending_events()} events waiting", as_json,
                    version=device.store.version, events_waiting=device.store.pending_events())


@device_app.command()
def upload(state: Path = typer.Option(...), url: str = typer.Option(None)):
    """Sync and send the events kept while offline."""
    device = _device(state, url)
    outcome = device.sync()
    sent = device.upload()
    console.print(f"{outcome.kind} v{outcome.version} — {sent} events sent, {device.store.pending_events()} waiting")


@device_app.command()
def status(state: Path = typer.Option(...), as_json: bool = JsonOption):
    from clausier.access import simulator

    store = simulator.DeviceStore(state)
    snapshot = store.snapshot()
    data = {"version": store.version, "url": store.get("url"), "device_id": store.get("device_id"),
            "records": len(snapshot["records"]), "credentials": len(snapshot["credentials"]),
            "events_waiting": store.pending_events()}
    if as_json:
        print_json(data)
        return
    print_table("Simulated device", ["", ""], [[k, v] for k, v in data.items()])

