"""Which provider runs the MLflow server (``--mlflow auto|docker|process|URL``), and starting it.

``auto`` picks Docker when a daemon answers a ping and the image is present locally (images are never
pulled), the local process otherwise; the choice carries the reason, for the run report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.servers.containers import default_image
from hokusai_contracts.servers.errors import ServerStartError
from hokusai_contracts.servers.ha import DEFAULT_INSTANCES, MAX_INSTANCES, start_ha
from hokusai_contracts.servers.ha_containers import start_ha_containers
from hokusai_contracts.servers.server import MlflowServer
from hokusai_contracts.servers.venvs import check_version, own_mlflow_version

AUTO, DOCKER, PROCESS, URL = "auto", "docker", "process", "url"
HA = "ha"  # topology: PostgreSQL + MLflow instances + HAProxy (servers/ha.py)
DOCKER_HA = (
    "docker-ha"  # the same topology with PostgreSQL and MLflow in containers (servers/ha_containers.py)
)
PROVIDER_NAMES = (AUTO, DOCKER, PROCESS, HA, DOCKER_HA)
DEFAULT_PROVIDER = PROCESS

# image -> None when Docker can run it, else why not (one line)
DockerProbe = Callable[[str], "str | None"]


def is_url(value: str) -> bool:
    """True for an ``http(s)://`` URL."""
    return value.startswith(("http://", "https://"))


@dataclass(frozen=True)
class ServerRequest:
    """What the user asked for: a provider (or URL), an MLflow version, an image, ha's instance count."""

    mlflow: str = DEFAULT_PROVIDER
    version: str | None = None
    image: str | None = None
    instances: int = DEFAULT_INSTANCES  # MLflow servers behind the balancer (topology ha only)

    def validated(self) -> ServerRequest:
        """This request, or HarnessUsageError naming the bad value."""
        mlflow = (self.mlflow or DEFAULT_PROVIDER).strip()
        if mlflow.lower() in PROVIDER_NAMES:
            mlflow = mlflow.lower()
        elif not is_url(mlflow):
            raise HarnessUsageError(
                f"--mlflow {mlflow!r}: expected one of {', '.join(PROVIDER_NAMES)} or an http(s):// URL"
            )
        version = check_version(self.version) if self.version else None
        if not 1 <= self.instances <= MAX_INSTANCES:
            raise HarnessUsageError(f"--instances {self.instances}: expected 1 to {MAX_INSTANCES}")
        if self.instances != DEFAULT_INSTANCES and mlflow not in (HA, DOCKER_HA):
            raise HarnessUsageError(f"--instances {self.instances}: only with --mlflow ha or docker-ha")
        return replace(self, mlflow=mlflow, version=version)

    def resolved_version(self) -> str | None:
        """The version asked for, else the harness's own MLflow version."""
        return self.version or own_mlflow_version()

    def image_name(self) -> str | None:
        """The Docker image to run: the one asked for, else the default of the version."""
        version = self.resolved_version()
        return self.image or (default_image(version) if version else None)


@dataclass(frozen=True)
class ProviderChoice:
    """The provider that runs the server, and why it was chosen."""

    kind: str  # docker | process | url
    reason: str
    url: str | None = None


def choose_provider(request: ServerRequest, probe: DockerProbe) -> ProviderChoice:
    """The provider for ``request``; ``probe`` is asked only for ``auto``."""
    if is_url(request.mlflow):
        return ProviderChoice(URL, "--mlflow is a URL: an existing server is used", url=request.mlflow)
    if request.mlflow == PROCESS:
        return ProviderChoice(PROCESS, "asked for (--mlflow process)")
    if request.mlflow == DOCKER:
        return ProviderChoice(DOCKER, "asked for (--mlflow docker)")
    if request.mlflow == HA:
        return ProviderChoice(
            HA, f"asked for (--mlflow ha): PostgreSQL, {request.instances} MLflow processes, HAProxy"
        )
    if request.mlflow == DOCKER_HA:
        return ProviderChoice(
            DOCKER_HA,
            f"asked for (--mlflow docker-ha): PostgreSQL and {request.instances} MLflow containers, HAProxy",
        )
    image = request.image_name()
    problem = probe(image) if image else "no MLflow version to pick an image for"
    if problem is None:
        return ProviderChoice(DOCKER, f"auto: the Docker daemon answered and image {image} is present")
    return ProviderChoice(PROCESS, f"auto: {problem}, so a local process")


def docker_probe(image: str, timeout: float = 3.0) -> str | None:
    """None when a Docker daemon answers a ping and has ``image``; else the reason, in one line."""
    try:
        import docker
        import docker.errors
    except ImportError:
        return "the docker Python package is not installed"
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        return f"no Docker daemon answers ({type(exc).__name__})"
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return f"image {image} is not built (fixtures/docker/build-images.sh)"
    except Exception as exc:
        return f"the Docker daemon cannot look up {image} ({type(exc).__name__})"
    finally:
        client.close()
    return None


@dataclass(frozen=True)
class Provisioner:
    """Starts servers for one request with the chosen provider."""

    request: ServerRequest
    choice: ProviderChoice

    def start(self, workdir: Path, basic_auth: bool = False) -> MlflowServer:
        """A healthy server; ServerStartError when it cannot be."""
        if self.choice.kind == URL:
            return self._connect(basic_auth)
        if self.choice.kind == DOCKER:
            from hokusai_contracts.servers.containers import start_mlflow_container

            version = self.request.resolved_version()
            if version is None:
                raise ServerStartError(
                    "the docker provider needs --mlflow-version (no MLflow installed here)"
                )
            return start_mlflow_container(
                workdir, version=version, image=self.request.image, basic_auth=basic_auth
            )
        if self.choice.kind == HA:
            return start_ha(
                workdir,
                basic_auth=basic_auth,
                version=self.request.version,
                instances=self.request.instances,
            )
        if self.choice.kind == DOCKER_HA:
            version = self.request.resolved_version()
            if version is None:
                raise ServerStartError("--mlflow docker-ha needs --mlflow-version (no MLflow installed here)")
            return start_ha_containers(
                workdir,
                version=version,
                image=self.request.image,
                basic_auth=basic_auth,
                instances=self.request.instances,
            )
        from hokusai_contracts.servers.process import start_mlflow_process

        return start_mlflow_process(workdir, basic_auth=basic_auth, version=self.request.version)

    def _connect(self, basic_auth: bool) -> MlflowServer:
        from hokusai_contracts.servers.external import connect

        if basic_auth:
            raise ServerStartError(
                "a basic-auth server cannot be given by URL (its users' passwords are unknown to the harness)"
            )
        server = connect(self.choice.url or self.request.mlflow)
        wanted = self.request.version
        if wanted and server.version and server.version != wanted:
            raise ServerStartError(
                f"the MLflow server at {server.url} runs {server.version}, not the requested {wanted}"
            )
        return server

    def describe(self) -> str:
        """One line for the run report: provider, version, why."""
        version = self.request.resolved_version() or "unknown"
        what = self.choice.url if self.choice.kind == URL else f"MLflow {version}"
        if self.choice.kind in (DOCKER, DOCKER_HA):
            what += f" (image {self.request.image_name()})"
        return f"{self.choice.kind} provider, {what}: {self.choice.reason}"


def provisioner_for(request: ServerRequest, probe: DockerProbe = docker_probe) -> Provisioner:
    """Validate ``request`` and choose its provider."""
    request = request.validated()
    return Provisioner(request, choose_provider(request, probe))
