"""``clausier user create|list|token``."""

from __future__ import annotations

import typer

from clausier.cli.common import JsonOption, command, console, print_json, print_table


app = typer.Typer(no_args_is_help=True, help="Staff users and API tokens.")


@app.command()
def create(email: str, name: str = typer.Option(...), role: str = typer.Option(...),
           password: str = typer.Option(..., prompt=True, hide_input=True,
                                        confirmation_prompt=True)):
    """Create a staff user (roles: admin, billing, support, sales)."""
    from clausier.accounts import service

    with command() as cmd:
        user = service.create_user(cmd.session, cmd.clock, cmd.actor, email=email, name=name,
                                   role=role, password=password)
        console.print(f"Created {user.email} ({user.role})")


@app.command("list")
def list_users(as_json: bool = JsonOption):
    from clausier.accounts import service

    with command() as cmd:
        rows = [{"email": u.email, "name": u.name, "kind": u.kind, "role": u.role,
                 "active": u.active} for u in service.list_users(cmd.session)]
    if as_json:
        print_json(rows)
    else:
        print_table("Users", ["E-mail", "Name", "Kind", "Role", "Active"],
                    [list(r.values()) for r in rows])


@app.command()
def token(email: str, name: str = typer.Option("cli", help="A label for the token.")):
    """Issue an API token for a user (shown once)."""
    from clausier.accounts import service

    with command() as cmd:
        user = service.get_user_by_email(cmd.session, email)
        _, secret = service.issue_token(cmd.session, cmd.clock, cmd.actor, user.id, name)
        console.print(secret)


@app.command("revoke-token")
def revoke_token(token_id: int):
    """Revoke an API token (its id is in ``GET /api/v1/tokens``)."""
    from clausier.accounts import service

    with command() as cmd:
        revoked = service.revoke_token(cmd.session, cmd.clock, cmd.actor, token_id)
        console.print(f"Revoked token {revoked.id} ({revoked.name})")


@app.command()
def password(email: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                      confirmation_prompt=True)):
    """Set a user's password; every browser signed in as that user is signed out."""
    from clausier.accounts import service

    with command() as cmd:
        user = service.get_user_by_email(cmd.session, email)
        service.set_password(cmd.session, cmd.clock, cmd.actor, user.id, password)
        console.print(f"New password set for {user.email}; its browser sessions ended")


@app.command("end-sessions")
def end_sessions(email: str):
    """Sign a user out of every browser (a stolen or forgotten session)."""
    from clausier.accounts import service

    with command() as cmd:
        user = service.get_user_by_email(cmd.session, email)
        ended = service.end_sessions(cmd.session, cmd.clock, cmd.actor, user.id)
        console.print(f"Ended {ended} browser session(s) of {user.email}")
