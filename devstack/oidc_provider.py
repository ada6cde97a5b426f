"""A real OpenID Connect provider for the tests: `oidc-provider-mock`, run
as its own process on 127.0.0.1. It serves discovery, its keys, the
authorization form (a person types who they are), tokens (opaque access
tokens, signed ID tokens) and userinfo; `set_user` gives a person's claims
(`PUT /users/<sub>`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devstack import proc
from devstack.ports import free_port

HOST = "127.0.0.1"


class OidcProvider:
    def __init__(
        self, log_file: Path, port: int | None = None, token_max_age_s: int = 3600
    ):
        self.port = port or free_port()
        self.log_file = Path(log_file)
        self.token_max_age_s = token_max_age_s
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout_s: float = 30) -> OidcProvider:
        with open(self.log_file, "ab") as log:
            self.process = proc.popen(
                [sys.executable, "-m", "oidc_provider_mock", "--host", HOST,
                 "--port", str(self.port), "--require-nonce",
                 "--token-max-age", str(self.token_max_age_s)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {self.log_file}")
            try:
                with urllib.request.urlopen(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=2
                ) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not answer: {self.log_file}")

    def set_user(self, sub: str, claims: dict) -> None:
        request = urllib.request.Request(
            f"{self.issuer}/users/{sub}",
            data=json.dumps(claims).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 204, r.status

    def stop(self) -> None:
        proc.terminate(self.process, 10)

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
