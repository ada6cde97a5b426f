"""The Helm chart (deploy/helm/matchmaker): linted and rendered with each
values file, every rendered object checked against the schemas of a
current Kubernetes release (strict: an unknown field is an error, and so
is a kind without a schema), and what the chart promises read off the
rendered manifests. `make test` provides helm (`make helm`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support import ROOT

CHART = ROOT / "deploy" / "helm" / "matchmaker"
KUBERNETES = "1.33.0"
COMPONENTS = ("intake", "matcher", "notifier")
HOOK = "pre-install,pre-upgrade"

# Known values, to be looked for where they must not be.
SECRETS = {
    "SECRET_KEY": "known-secret-key-5f0c9e1d2b3a4c5d-Wq7Lz2vRt6Xp1Ks9",
    "DATABASE_URL": "postgresql://matchmaker:known-db-password-81d2@db.example:5432/mm",
    "SMTP_PASSWORD": "known-smtp-password-7a1e",
    "API_TOKENS": "known-api-token-0123456789=robot@example.com:ops",
    "KAFKA_SASL_PASSWORD": "known-kafka-password-93b4",
}
INTAKE_SECRETS = {
    "CALENDAR_KEY": "known-calendar-key-6b2d8f4a1c3e5b7d-Pk4Nb8wQs1Zr5Jt2"
}
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|CREDENTIAL", re.I)


def find_helm() -> str | None:
    local = ROOT / ".cache" / "bin" / "helm"
    return (
        os.environ.get("HELM")
        or shutil.which("helm")
        or (str(local) if local.exists() else None)
    )


HELM = find_helm()
pytestmark = pytest.mark.skipif(
    HELM is None,
    reason="helm is not installed: `make helm` builds it into .cache/bin"
    " (`make test` does so first)",
)


@pytest.fixture(scope="module")
def deployer_values(tmp_path_factory) -> Path:
    """What a deployer adds to values.yaml: the brokers and the secrets."""
    path = tmp_path_factory.mktemp("helm") / "deployer.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "kafka": {
                    "bootstrapServers": "kafka-1.example:9093,kafka-2.example:9093",
                    "securityProtocol": "SASL_SSL",
                    "saslUsername": "matchmaker",
                },
                "smtp": {"host": "smtp.example", "user": "matchmaker"},
                "secrets": SECRETS,
                "intakeSecrets": INTAKE_SECRETS,
            }
        )
    )
    return path


VALUES_FILES = ("values.yaml", "examples/small.yaml", "examples/large.yaml")


def values_args(name: str, deployer_values: Path) -> list[str]:
    if name == "values.yaml":  # the chart's defaults, and what a deployer must add
        return ["-f", str(deployer_values)]
    return ["-f", str(CHART / name)]


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HELM, *args], capture_output=True, text=True, timeout=120, check=False
    )


def render(*args: str) -> list[dict]:
    result = helm(
        "template", "mm", str(CHART), "--namespace", "apps",
        "--kube-version", KUBERNETES, *args,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(deployer_values) -> dict[str, list[dict]]:
    return {name: render(*values_args(name, deployer_values)) for name in VALUES_FILES}


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def component(obj: dict) -> str:
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]


def pod_specs(objects: list[dict]) -> list[tuple[str, dict]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    ]


# -- the chart as helm sees it ------------------------------------------------


@pytest.mark.parametrize("name", VALUES_FILES)
def test_the_chart_lints_strictly_with_each_values_file(name, deployer_values):
    extra = values_args(name, deployer_values)
    for args in ([], extra) if name == "values.yaml" else (extra,):
        result = helm(
            "lint", "--strict", str(CHART), "--kube-version", KUBERNETES, *args
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("name", VALUES_FILES)
def test_every_rendered_object_is_valid_against_the_kubernetes_schemas(name, rendered):
    problems = []
    for obj in rendered[name]:
        what = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            version = kubernetes_validate.validate(obj, KUBERNETES, strict=True)
            assert version == "1.33", (what, version)
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{what}: no schema ({exc.message})")
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{what}: {path}: {exc.message}")
    assert problems == []
    kinds = {o["kind"] for o in rendered[name]}
    assert {"Deployment", "Job", "ConfigMap", "NetworkPolicy"} <= kinds


def test_without_secrets_or_an_existing_secret_the_chart_refuses_to_render():
    result = helm(
        "template", "mm", str(CHART), "--set", "kafka.bootstrapServers=k:9092"
    )
    assert result.returncode != 0
    assert "secrets.SECRET_KEY is required (or name an existingSecret)" in result.stderr


def test_without_the_brokers_the_chart_refuses_to_render(deployer_values):
    result = helm(
        "template", "mm", str(CHART), "-f", str(deployer_values),
        "--set", "kafka.bootstrapServers=",
    )  # fmt: skip
    assert result.returncode != 0
    assert "kafka.bootstrapServers is required" in result.stderr


@pytest.mark.parametrize(
    "setting",
    ["settings.SMTP_PASSWORD", "settings.DATABASE_URL", "matcher.settings.API_TOKENS"],
)
def test_a_secret_given_as_a_setting_is_refused(deployer_values, setting):
    result = helm(
        "template", "mm", str(CHART), "-f", str(deployer_values),
        "--set", f"{setting}=leaked",
    )  # fmt: skip
    assert result.returncode != 0
    assert f"{setting} is a secret" in result.stderr


# -- what the manifests promise -------------------------------------------------


@pytest.mark.parametrize("name", VALUES_FILES)
def test_every_container_of_every_deployment_has_liveness_and_readiness_probes(
    name, rendered
):
    deployments = of_kind(rendered[name], "Deployment")
    assert sorted(component(d) for d in deployments) == sorted(COMPONENTS)
    for d in deployments:
        containers = d["spec"]["template"]["spec"]["containers"]
        assert containers, d["metadata"]["name"]
        for c in containers:
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", c["name"]
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", c["name"]
            assert c["livenessProbe"]["httpGet"]["port"] == "http"
            assert {p["name"]: p["containerPort"] for p in c["ports"]} == {
                "http": {"intake": 8000, "matcher": 8001, "notifier": 8002}[c["name"]]
            }
            assert c["command"] == ["python", "-m", f"services.{c['name']}"]
            assert c["resources"]["requests"] and c["resources"]["limits"]


@pytest.mark.parametrize("name", VALUES_FILES)
def test_every_pod_runs_as_non_root_on_a_read_only_root_with_no_capabilities(
    name, rendered
):
    for what, spec in pod_specs(rendered[name]):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, what
        assert pod["runAsUser"] > 0, what
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, what
        assert spec["automountServiceAccountToken"] is False, what
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, what
            assert sc["allowPrivilegeEscalation"] is False, what
            assert sc["capabilities"]["drop"] == ["ALL"], what
            assert "privileged" not in sc, what
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            assert mounts["/tmp"] == "tmp", what  # the one place written
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], what


@pytest.mark.parametrize("name", VALUES_FILES)
def test_no_secret_value_nor_secret_name_is_in_any_configmap_or_pod_spec(
    name, rendered
):
    objects = rendered[name]
    for cm in of_kind(objects, "ConfigMap"):
        text = yaml.safe_dump(cm)
        for key, value in SECRETS.items():
            assert value not in text, (cm["metadata"]["name"], key)
        for key in cm.get("data", {}):
            assert not SECRET_NAMES.search(key), (cm["metadata"]["name"], key)
    for what, spec in pod_specs(objects):
        text = yaml.safe_dump(spec)
        for key, value in SECRETS.items():
            assert value not in text, (what, key)  # from a Secret, never inline


def test_the_secrets_go_into_a_secret_that_every_pod_reads(rendered):
    objects = rendered["values.yaml"]
    secrets = {s["metadata"]["name"]: s for s in of_kind(objects, "Secret")}
    assert set(secrets) == {
        "mm-matchmaker", "mm-matchmaker-migration", "mm-matchmaker-intake"
    }  # fmt: skip
    assert secrets["mm-matchmaker"]["stringData"] == SECRETS
    assert secrets["mm-matchmaker-migration"]["stringData"] == SECRETS
    assert secrets["mm-matchmaker-intake"]["stringData"] == INTAKE_SECRETS
    for what, spec in pod_specs(objects):
        (container,) = spec["containers"]
        refs = [
            e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e
        ]
        expected = (
            ["mm-matchmaker-migration"] if what.startswith("Job") else ["mm-matchmaker"]
        )
        if "intake" in what:  # the calendar key: intake's alone
            expected.append("mm-matchmaker-intake")
        assert refs == expected, what


@pytest.mark.parametrize("name", ["examples/small.yaml", "examples/large.yaml"])
def test_an_existing_secret_is_used_and_no_secret_is_rendered(name, rendered):
    values = yaml.safe_load((CHART / name).read_text())
    existing, intakes = values["existingSecret"], values["existingIntakeSecret"]
    objects = rendered[name]
    assert of_kind(objects, "Secret") == []
    for what, spec in pod_specs(objects):
        (container,) = spec["containers"]
        refs = [
            e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e
        ]
        assert refs == ([existing, intakes] if "intake" in what else [existing]), what


@pytest.mark.parametrize("name", VALUES_FILES)
def test_only_intake_may_be_reached_from_outside(name, rendered):
    objects = rendered[name]
    policies = {component(p): p["spec"] for p in of_kind(objects, "NetworkPolicy")}
    assert set(policies) == {*COMPONENTS, "migration"}
    for part, spec in policies.items():
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == part
        assert set(spec["policyTypes"]) == {"Ingress", "Egress"}, part
    intake = policies["intake"]["ingress"]
    assert intake and all(p["port"] == "http" for r in intake for p in r["ports"])
    assert policies["migration"]["ingress"] == []
    metrics_from = yaml.safe_load((CHART / name).read_text()).get("networkPolicy", {})
    for part in ("matcher", "notifier"):
        rules = policies[part]["ingress"]
        if not metrics_from.get("metricsFrom"):
            assert rules == [], part  # nothing reaches them
        else:  # only the scraper named, only on the metrics port
            assert [r["from"] for r in rules] == [metrics_from["metricsFrom"]], part
    services = of_kind(objects, "Service")
    assert [component(s) for s in services] == ["intake"]
    assert all(component(i) == "intake" for i in of_kind(objects, "Ingress"))


def test_each_component_may_reach_only_what_it_uses(rendered):
    policies = {
        component(p): p["spec"]["egress"]
        for p in of_kind(rendered["examples/large.yaml"], "NetworkPolicy")
    }

    def ports(part):
        return {p["port"] for rule in policies[part] for p in rule["ports"]}

    assert ports("migration") == {53, 5432}
    assert ports("matcher") == {53, 5432, 9093}
    assert ports("notifier") == {53, 5432, 9093, 587}
    assert ports("intake") == {53, 5432, 9093, 443, 80}


@pytest.mark.parametrize("name", VALUES_FILES)
def test_the_migration_is_a_job_run_before_every_install_and_upgrade(name, rendered):
    objects = rendered[name]
    (job,) = of_kind(objects, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == HOOK
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "shared.migrations"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # Hooks run before the release's objects exist: what the Job needs is
    # in it, or a hook of its own made before it (a lower weight).
    env = {e["name"]: e["value"] for e in container["env"]}
    assert {"KAFKA_BOOTSTRAP_SERVERS", "AUTH_MODE"} <= set(env)
    assert not any("configMapRef" in e for e in container.get("envFrom", []))
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]
    for secret in of_kind(objects, "Secret"):
        hook = secret["metadata"].get("annotations", {})
        if secret["metadata"]["name"].endswith("-migration"):
            assert hook["helm.sh/hook"] == HOOK
            assert int(hook["helm.sh/hook-weight"]) < int(
                annotations["helm.sh/hook-weight"]
            )
            assert "hook-succeeded" in hook["helm.sh/hook-delete-policy"]
        else:
            assert "helm.sh/hook" not in hook
    for obj in objects:  # nothing else is a hook
        if obj["kind"] not in ("Job", "Secret"):
            assert "helm.sh/hook" not in obj["metadata"].get("annotations", {})


def test_the_large_example_runs_three_of_each_on_six_partitions(rendered):
    objects = rendered["examples/large.yaml"]
    replicas = {
        component(d): d["spec"]["replicas"] for d in of_kind(objects, "Deployment")
    }
    assert replicas == {"intake": 3, "matcher": 3, "notifier": 3}
    (settings,) = [c["data"] for c in of_kind(objects, "ConfigMap")]
    assert settings["TOPIC_PARTITIONS"] == "6"
    assert settings["TOPIC_REPLICATION"] == "3"
    assert settings["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["KAFKA_SSL_CAFILE"] == "/etc/matchmaker/kafka/ca.crt"
    pools = {
        component(d): {
            e["name"]: e["value"]
            for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])
        }.get("POOL_SIZE")
        for d in of_kind(objects, "Deployment")
    }
    assert all(int(size) > 8 for size in (pools["intake"], pools["matcher"]))
    for d in of_kind(objects, "Deployment"):
        assert d["spec"]["template"]["spec"]["topologySpreadConstraints"]


def test_the_small_example_runs_one_of_each_that_a_drain_can_still_evict(rendered):
    objects = rendered["examples/small.yaml"]
    replicas = {
        component(d): d["spec"]["replicas"] for d in of_kind(objects, "Deployment")
    }
    assert replicas == {"intake": 1, "matcher": 1, "notifier": 1}
    budgets = {component(p): p["spec"] for p in of_kind(objects, "PodDisruptionBudget")}
    assert set(budgets) == set(COMPONENTS)
    assert all(b == {**b, "maxUnavailable": 1} for b in budgets.values())


@pytest.mark.parametrize("name", VALUES_FILES)
def test_the_settings_are_ones_the_services_accept(name, rendered):
    """The ConfigMap and the Secret, as a pod's environment, load: a
    setting the chart writes wrongly would stop every pod at start."""
    from shared import config

    (settings,) = [
        c["data"]
        for c in of_kind(rendered[name], "ConfigMap")
        if c["metadata"]["name"] == "mm-matchmaker"
    ]
    # the files are mounted in the pod, not here
    env = {k: v for k, v in settings.items() if not k.endswith("FILE")}
    env.update(SECRETS)
    if not settings["KAFKA_SECURITY_PROTOCOL"].startswith("SASL_"):
        del env["KAFKA_SASL_PASSWORD"]
    loaded = config.load(env)
    assert loaded.auth_mode == "proxy"
    assert loaded.bind_host == "0.0.0.0"


def test_yaml_booleans_and_numbers_reach_the_services_as_their_settings_read_them(
    deployer_values,
):
    objects = render(
        "-f", str(deployer_values),
        "--set", "settings.OUTBOX_RELAY=false",
        "--set", "settings.CALENDAR_MAX_BYTES=5000000",
        "--set-json", "settings.MATCHER_EXPIRY_INTERVAL=0.5",
    )  # fmt: skip
    (settings,) = [c["data"] for c in of_kind(objects, "ConfigMap")]
    assert settings["OUTBOX_RELAY"] == "off"
    assert settings["CALENDAR_MAX_BYTES"] == "5000000"
    assert settings["MATCHER_EXPIRY_INTERVAL"] == "0.5"


def test_the_companys_sites_are_mounted_as_the_sites_file(deployer_values, tmp_path):
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": ["Lyon", "Grenoble"]}))
    objects = render("-f", str(deployer_values), "-f", str(sites))
    maps = {c["metadata"]["name"]: c["data"] for c in of_kind(objects, "ConfigMap")}
    assert maps["mm-matchmaker"]["SITES_FILE"] == "/etc/matchmaker/data/sites.yaml"
    assert yaml.safe_load(maps["mm-matchmaker-data"]["sites.yaml"]) == [
        "Lyon",
        "Grenoble",
    ]
    for d in of_kind(objects, "Deployment"):
        (c,) = d["spec"]["template"]["spec"]["containers"]
        assert {
            "mountPath": "/etc/matchmaker/data",
            "name": "data",
            "readOnly": True,
        } in c["volumeMounts"]
    (job,) = of_kind(objects, "Job")  # the migration needs no sites, nor their path
    (c,) = job["spec"]["template"]["spec"]["containers"]
    assert "SITES_FILE" not in {e["name"] for e in c["env"]}


def test_the_optional_ingress_leads_to_intake_and_is_valid(deployer_values):
    objects = render(
        "-f", str(deployer_values),
        "--set", "intake.ingress.enabled=true",
        "--set", "intake.ingress.className=sso",
        "--set", "intake.ingress.tlsSecret=matchmaker-tls",
    )  # fmt: skip
    (ingress,) = of_kind(objects, "Ingress")
    kubernetes_validate.validate(ingress, KUBERNETES, strict=True)
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "mm-matchmaker-intake", "port": {"name": "http"}}


def test_a_setting_the_chart_derives_cannot_be_given_twice(deployer_values):
    result = helm(
        "template", "mm", str(CHART), "-f", str(deployer_values),
        "--set", "settings.KAFKA_BOOTSTRAP_SERVERS=elsewhere:9092",
    )  # fmt: skip
    assert result.returncode != 0
    assert "settings.KAFKA_BOOTSTRAP_SERVERS is set by the chart" in result.stderr
