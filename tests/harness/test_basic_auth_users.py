"""The basic-auth server's users: READ by default, EDIT and "no access" granted per resource."""

from __future__ import annotations

import httpx
import pytest

from hokusai_contracts.servers.basic_auth import (
    BasicAuthUsers,
    PermissionGrantError,
    grant,
    no_access_permission,
)

API = "/api/2.0/mlflow"


def as_user(server, credentials: tuple[str, str]) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=credentials, timeout=30)


@pytest.fixture
def experiment(basic_auth_server, unique_name) -> str:
    """An experiment the admin created; its id."""
    with as_user(basic_auth_server, basic_auth_server.users.admin) as admin:
        response = admin.post(f"{API}/experiments/create", json={"name": unique_name("exp")})
    response.raise_for_status()
    return response.json()["experiment_id"]


@pytest.fixture
def model(basic_auth_server, unique_name) -> str:
    """A registered model the admin created; its name."""
    name = unique_name("model")
    with as_user(basic_auth_server, basic_auth_server.users.admin) as admin:
        admin.post(f"{API}/registered-models/create", json={"name": name}).raise_for_status()
    return name


def _set_tag(server, credentials, experiment_id: str) -> httpx.Response:
    with as_user(server, credentials) as client:
        return client.post(
            f"{API}/experiments/set-experiment-tag",
            json={"experiment_id": experiment_id, "key": "stage", "value": "dev"},
        )


def test_the_installed_mlflow_has_an_explicit_deny():
    # MLflow 3.17 vetoes with DENY and refuses NO_PERMISSIONS as a grant; older servers need the latter.
    assert no_access_permission() == "DENY"


@pytest.mark.auth_server
class TestExperiments:
    def test_editor_writes_where_granted_edit(self, basic_auth_server, experiment):
        users = basic_auth_server.users
        assert _set_tag(basic_auth_server, users.editor, experiment).status_code == 403
        grant(basic_auth_server.url, users.admin, "experiment", experiment, users.editor_username, "EDIT")
        assert _set_tag(basic_auth_server, users.editor, experiment).status_code == 200

    def test_reader_cannot_write(self, basic_auth_server, experiment):
        response = _set_tag(basic_auth_server, basic_auth_server.users.reader, experiment)
        # MLflow's basic-auth answers a plain-text "Permission denied": no error_code for its client.
        assert response.status_code == 403
        assert "Permission denied" in response.text

    def test_denied_user_cannot_even_read(self, basic_auth_server, experiment):
        users = basic_auth_server.users
        grant(
            basic_auth_server.url,
            users.admin,
            "experiment",
            experiment,
            users.denied_username,
            no_access_permission(),
        )
        with as_user(basic_auth_server, users.denied) as denied:
            refused = denied.get(f"{API}/experiments/get", params={"experiment_id": experiment})
            # Everything else keeps the server's default READ.
            other = denied.get(f"{API}/experiments/get", params={"experiment_id": "0"})
        assert refused.status_code == 403
        assert other.status_code == 200

    def test_grant_takes_an_experiment_name(self, basic_auth_server, experiment):
        users = basic_auth_server.users
        with as_user(basic_auth_server, users.admin) as admin:
            name = admin.get(f"{API}/experiments/get", params={"experiment_id": experiment}).json()
        grant(
            basic_auth_server.url,
            users.admin,
            "experiment",
            name["experiment"]["name"],
            users.editor_username,
            "EDIT",
        )
        assert _set_tag(basic_auth_server, users.editor, experiment).status_code == 200


@pytest.mark.auth_server
class TestRegisteredModels:
    def _describe(self, server, credentials, name: str) -> httpx.Response:
        with as_user(server, credentials) as client:
            return client.patch(f"{API}/registered-models/update", json={"name": name, "description": "d"})

    def test_editor_writes_where_granted_and_reader_cannot(self, basic_auth_server, model):
        users = basic_auth_server.users
        grant(basic_auth_server.url, users.admin, "registered_model", model, users.editor_username, "EDIT")
        assert self._describe(basic_auth_server, users.editor, model).status_code == 200
        assert self._describe(basic_auth_server, users.reader, model).status_code == 403

    def test_denied_user_cannot_read(self, basic_auth_server, model):
        users = basic_auth_server.users
        with as_user(basic_auth_server, users.denied) as denied:
            assert denied.get(f"{API}/registered-models/get", params={"name": model}).status_code == 200
        grant(basic_auth_server.url, users.admin, "registered_model", model, users.denied_username, "DENY")
        with as_user(basic_auth_server, users.denied) as denied:
            assert denied.get(f"{API}/registered-models/get", params={"name": model}).status_code == 403


@pytest.mark.auth_server
def test_a_refused_grant_says_why_without_the_admin_password(basic_auth_server, experiment):
    users = basic_auth_server.users
    with pytest.raises(PermissionGrantError) as caught:
        grant(basic_auth_server.url, users.admin, "experiment", experiment, "nobody-like-this", "EDIT")
    assert caught.value.status == 404
    leaked = users.admin_password in str(caught.value)
    assert not leaked


def test_an_unknown_resource_kind_is_refused():
    with pytest.raises(ValueError, match="resource_kind"):
        grant("http://127.0.0.1:1", ("admin", "x" * 12), "prompt", "p", "editor", "EDIT")


def test_passwords_stay_out_of_repr_and_are_masked():
    users = BasicAuthUsers.generate()
    assert len(set(users.secrets())) == 4
    text = repr(users) + " ".join(users.secrets())
    shown = [secret for secret in users.secrets() if secret in repr(users)]
    assert shown == []
    assert users.mask(text).count("***") == 4
    assert users.editor == ("editor", users.editor_password)
    assert users.denied == ("denied", users.denied_password)
