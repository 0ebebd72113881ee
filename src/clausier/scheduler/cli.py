"""``clausier tick --today DATE``: the daily work of every room, once per date."""

from __future__ import annotations

from datetime import datetime

import typer

from clausier.cli.common import (JsonOption, LazyModule, TodayOption, command, console,
                                 print_json, print_table)

service = LazyModule("clausier.scheduler.service")

app = typer.Typer()


@app.command()
def tick(today: datetime | None = TodayOption, as_json: bool = JsonOption):
    """Run the daily tick for a date (default today); a second run for that date does nothing."""
    with command(today, writes=True) as cmd:      # a writer from its start, as the server's tick
        outcomes = service.run_daily_tick(cmd.session, cmd.clock, cmd.actor, cmd.clock.today())
        day = cmd.clock.today()
    if as_json:
        print_json({"day": day, "steps": [o.__dict__ for o in outcomes]})
    elif not outcomes:
        console.print(f"Daily tick {day.isoformat()}: no room has a daily step yet.")
    else:
        print_table(f"Daily tick {day.isoformat()}", ["Step", "Status", "Summary"],
                    [[o.step, o.status, o.summary] for o in outcomes])
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(code=1)
