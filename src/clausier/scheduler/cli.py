"""``clausier tick --today DATE``: the daily work of every room, once per date."""

from __future__ import annotations

from datetime import datetime

import typer

from clausier.cli.common import (JsonOption, TodayOption, command, console,
                                 print_json, print_table)


app = typer.Typer()


@app.command()
def tick(today: datetime | None = TodayOption,
         dry_run: bool = typer.Option(False, "--dry-run",
                                      help="Print what the tick would do (letters, state changes, "
                                           "charges, messages) and change nothing."),
         customer: str = typer.Option(None, "--customer",
                                      help="Act on this customer (reference) only."),
         as_json: bool = JsonOption):
    """Run the daily tick for a date (default today); a second run for that date does nothing."""
    from clausier.customers import service as customers
    from clausier.scheduler import service
    from clausier.scheduler.rules import StepStatus

    with command(today, writes=True) as cmd:      # a writer from its start, as the server's tick
        day = cmd.clock.today()
        who = customers.get_customer_by_ref(cmd.session, customer) if customer else None
        if dry_run:
            preview = service.preview_daily_tick(cmd.session, cmd.clock, cmd.actor, day, customer=who)
            outcomes = preview.outcomes
        else:
            preview = None
            outcomes = service.run_daily_tick(cmd.session, cmd.clock, cmd.actor, day, customer=who)
    scope = {"customer": customer} if customer else {}
    if as_json:
        print_json({"day": day, **scope, "dry_run": dry_run,
                    "steps": [o.__dict__ for o in outcomes],
                    **({"changes": preview.changes, "messages": preview.messages} if preview else {})})
    elif not outcomes:
        console.print(f"Daily tick {day.isoformat()}: no room has a daily step yet.")
    else:
        title = (f"Daily tick {day.isoformat()}" + (f" for {customer}" if customer else "")
                 + (" — dry run, nothing changed" if dry_run else ""))
        print_table(title, ["Step", "Status", "Summary"],
                    [[o.step, o.status, o.summary] for o in outcomes])
        if preview is not None:
            print_table("What it would do", ["Action", "Entity", "Summary"],
                        [[c["action"], c["entity"], c["summary"]] for c in preview.changes])
            print_table("What it would send", ["Channel", "Kind", "To", "Subject"],
                        [[m["channel"], m["kind"], m["recipient"], m["subject"]]
                         for m in preview.messages])
    if any(o.status == StepStatus.FAILED for o in outcomes):
        raise typer.Exit(code=1)
