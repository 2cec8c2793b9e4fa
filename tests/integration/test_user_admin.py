"""Revoking a token and deactivating a user, from the command line and the admin API: audited, and effective
on the very next request (401 on the API, signed out on the web)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from core.audit import AUDIT
from core.identity import TOKEN, USER
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD, POLICY, book_with_people, token_for

runner = CliRunner()


@pytest.fixture
def api(engine, database_url):
    people = book_with_people(engine)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, people


def wt(database_url: str, *args: str):
    return runner.invoke(cli, ["--database-url", database_url, *args])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token_id(engine, token: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(TOKEN.c.id).where(TOKEN.c.prefix == token[:10])).scalar_one()


def _audit(engine, action: str, entity: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.action == action, AUDIT.c.entity == entity)).mappings()
        return [dict(r) for r in rows]


def _signed_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    signed = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    assert client.get("/approvals", follow_redirects=False).status_code == 200


def test_a_token_revoked_from_the_cli_is_refused_on_the_next_request(api, engine, database_url):
    client, people = api
    token = token_for(engine, people["finance"])
    assert client.get("/api/approvals", headers=_bearer(token)).status_code == 200
    listed = wt(database_url, "tokens", "list", "--user", "finance")
    assert listed.exit_code == 0 and token[:10] in listed.output and token not in listed.output
    token_id = _token_id(engine, token)
    done = wt(database_url, "tokens", "revoke", str(token_id))
    assert done.exit_code == 0, done.output
    refused = client.get("/api/approvals", headers=_bearer(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    again = wt(database_url, "tokens", "revoke", str(token_id))
    assert again.exit_code == 1 and "already revoked" in again.output
    assert wt(database_url, "tokens", "revoke", "999999").exit_code == 1
    (event,) = _audit(engine, "revoke", "token")
    assert (event["entity_id"], event["actor_kind"]) == (token_id, "person")
    assert event["after"]["user"] == "finance" and event["after"]["prefix"] == token[:10]


def test_a_user_deactivated_from_the_cli_gets_401_and_is_signed_out(api, engine, database_url):
    client, people = api
    token = token_for(engine, people["legal"])
    _signed_in(client, "legal")
    done = wt(database_url, "users", "deactivate", "legal", "--reason", "left the company")
    assert done.exit_code == 0, done.output
    assert client.get("/api/approvals", headers=_bearer(token)).status_code == 401
    page = client.get("/approvals", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    again = client.post("/login", data={"username": "legal", "password": PASSWORD}, follow_redirects=False)
    assert again.status_code != 303 and "watchtower_session" not in again.cookies
    with engine.connect() as conn:
        active = conn.execute(select(USER.c.active).where(USER.c.username == "legal")).scalar_one()
        revoked = conn.execute(select(TOKEN.c.revoked_at).where(TOKEN.c.user_id == people["legal"].id)).scalar_one()
    assert active is False and revoked is not None
    (event,) = _audit(engine, "deactivate", "user")
    assert event["entity_id"] == people["legal"].id and event["reason"] == "left the company"
    assert event["after"] == {"active": False, "tokens_revoked": 1, "sessions_ended": 1}
    assert "already inactive" in wt(database_url, "users", "deactivate", "legal").output
    assert "legal" in wt(database_url, "users", "list").output


def test_only_an_admin_revokes_tokens_and_deactivates_users_over_the_api(api, engine):
    client, people = api
    admin_token = token_for(engine, people["admin"])
    admin = _bearer(admin_token)
    cro = _bearer(token_for(engine, people["cro"]))
    victim = token_for(engine, people["ae"])
    victim_id = _token_id(engine, victim)
    assert client.post(f"/api/tokens/{victim_id}/revoke", headers=cro).status_code == 403
    assert client.post("/api/users/ae/deactivate", headers=cro, json={"reason": "x"}).status_code == 403
    assert client.get("/api/approvals", headers=_bearer(victim)).status_code == 200

    revoked = client.post(f"/api/tokens/{victim_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["id"] == victim_id and revoked.json()["changed"] is True
    assert client.get("/api/approvals", headers=_bearer(victim)).status_code == 401
    assert client.post(f"/api/tokens/{victim_id}/revoke", headers=admin).json()["changed"] is False
    assert client.post("/api/tokens/999999/revoke", headers=admin).status_code == 404
    own = client.post(f"/api/tokens/{_token_id(engine, admin_token)}/revoke", headers=admin)
    assert own.status_code == 409 and "this request uses" in own.json()["detail"]

    _signed_in(client, "cro")
    gone = client.post("/api/users/cro/deactivate", headers=admin, json={"reason": "role change"})
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"username": "cro", "changed": True, "tokens_revoked": 1, "sessions_ended": 1}
    assert client.get("/api/approvals", headers=cro).status_code == 401
    assert client.get("/approvals", follow_redirects=False).status_code == 303
    assert client.post("/api/users/nobody/deactivate", headers=admin, json={"reason": "x"}).status_code == 404
    self_off = client.post("/api/users/admin/deactivate", headers=admin, json={"reason": "x"})
    assert self_off.status_code == 409 and "yourself" in self_off.json()["detail"]
    actors = {
        (e["entity"], e["actor"]) for e in _audit(engine, "revoke", "token") + _audit(engine, "deactivate", "user")
    }
    assert actors == {("token", "admin"), ("user", "admin")}
