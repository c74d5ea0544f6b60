#!/usr/bin/env python3
"""Checks a release of helm/todo-suite installed in a real kube-apiserver
against the values it was installed with: every object of the release was
stored; the Deployments carry the Dapr annotations, probes and security
contexts the values say; NetworkPolicies allow exactly the calls in
`invokes`, which are the calls the callees' Dapr Configurations allow, and
Kafka and Redis exactly to the pods whose sidecars load their components;
each sidecar may read exactly the Secrets its Configuration allows; the
Ingress routes /api and /; the Dapr components came from dapr-components/.

    check_chart.py ENV NAMESPACE RELEASE   (KUBECONFIG, HELM and KUBECTL set)

Prints one line per check and 'N passed, N failed' last; exits 1 on any
failure."""
import glob
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(ROOT, "helm", "todo-suite")
env, ns, release = sys.argv[1:4]
results = []


def check(what, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))


def merge(base, over):
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}


values = merge(load(os.path.join(CHART, "values.yaml")),
               load(os.path.join(CHART, f"values-{env}.yaml")))


def kubectl(*args):
    out = subprocess.run([os.environ.get("KUBECTL", "kubectl"), "-n", ns, *args], capture_output=True, text=True, check=True)
    return out.stdout


# 1. Every object the release rendered is stored in the server.
manifest = subprocess.run([os.environ["HELM"], "get", "manifest", release, "-n", ns],
                          capture_output=True, text=True, check=True).stdout
docs = [d for d in yaml.safe_load_all(manifest) if d]
stored = {}
kinds = {}
for d in docs:
    group = d["apiVersion"].split("/")[0] if "/" in d["apiVersion"] else ""
    kinds[d["kind"]] = f"{d['kind']}.{group}" if group else d["kind"]
for kind, resource in kinds.items():
    for item in json.loads(kubectl("get", resource, "-o", "json"))["items"]:
        stored[(kind, item["metadata"]["name"])] = item
missing = [f"{d['kind']}/{d['metadata']['name']}" for d in docs
           if (d["kind"], d["metadata"]["name"]) not in stored]
check(f"all {len(docs)} objects of the release are stored", not missing, missing)


def obj(kind, name):
    return stored.get((kind, name))


def own_config_doc(app):
    """The app's own Dapr Configuration (dapr-components/config/<app>.yaml)."""
    path = os.path.join(ROOT, "dapr-components", "config", app + ".yaml")
    return load(path) if os.path.exists(path) else None


def own_config(app):
    doc = own_config_doc(app)
    return doc["metadata"]["name"] if doc else None


components = [d for d in (load(p) for p in glob.glob(os.path.join(ROOT, "dapr-components", "*.yaml")))
              if d.get("kind") == "Component"]


def loads(app, type_):
    """Whether the app's sidecar loads a component of this type."""
    return any(c["spec"]["type"] == type_ and (not c.get("scopes") or app in c["scopes"]) for c in components)


svcs = values["services"]
for name, svc in svcs.items():
    dep = obj("Deployment", name)
    check(f"Deployment {name} stored", dep)
    if not dep:
        continue
    pod = dep["spec"]["template"]
    ann = pod["metadata"]["annotations"]
    want = {"dapr.io/enabled": "true", "dapr.io/app-id": name, "dapr.io/app-port": str(svc["port"]),
            "dapr.io/config": svc.get("daprConfig") or own_config(name) or values["dapr"]["config"],
            "dapr.io/log-level": values["dapr"]["logLevel"],
            "dapr.io/sidecar-cpu-limit": values["dapr"]["sidecar"]["cpuLimit"],
            "dapr.io/sidecar-memory-limit": values["dapr"]["sidecar"]["memoryLimit"],
            "dapr.io/api-token-secret": f"{release}-{name}-dapr-api-token",
            "dapr.io/app-token-secret": f"{release}-{name}-app-api-token"}
    bad = {k: (ann.get(k), v) for k, v in want.items() if ann.get(k) != v}
    check(f"{name}: Dapr annotations match the values", not bad, bad)
    c = pod["spec"]["containers"][0]
    probes = (c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"],
              c["startupProbe"]["httpGet"]["path"])
    check(f"{name}: probes /healthz (liveness, startup) and /readyz (readiness)",
          probes == ("/healthz", "/readyz", "/healthz"), probes)
    sc, psc = c["securityContext"], pod["spec"]["securityContext"]
    check(f"{name}: non-root, read-only root, no escalation, no capabilities, RuntimeDefault",
          psc.get("runAsNonRoot") and sc.get("readOnlyRootFilesystem")
          and sc.get("allowPrivilegeEscalation") is False
          and sc.get("capabilities", {}).get("drop") == ["ALL"]
          and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", (psc, sc))
    auto = merge(values["autoscaling"], svc.get("autoscaling", {}))
    hpa = obj("HorizontalPodAutoscaler", name)
    if auto["enabled"]:
        check(f"{name}: HPA {auto['minReplicas']}..{auto['maxReplicas']}",
              hpa and hpa["spec"]["minReplicas"] == auto["minReplicas"]
              and hpa["spec"]["maxReplicas"] == auto["maxReplicas"], hpa and hpa["spec"])
    else:
        reps = svc.get("replicas", values["replicas"])
        check(f"{name}: {reps} replicas, no HPA", dep["spec"]["replicas"] == reps and not hpa)
    least = auto["minReplicas"] if auto["enabled"] else svc.get("replicas", values["replicas"])
    pdb = obj("PodDisruptionBudget", name)
    check(f"{name}: a PodDisruptionBudget exactly when it runs more than one replica",
          bool(pdb) == (least > 1), pdb and pdb["spec"])
    envs = {e["name"] for e in c["env"]}
    check(f"{name}: DATABASE_URL exactly when it uses postgres",
          ("DATABASE_URL" in envs) == ("postgres" in svc["uses"]), envs)

    # NetworkPolicy: ingress on Dapr's internal port from exactly its callers,
    # egress on it to exactly the apps it invokes.
    np = obj("NetworkPolicy", name)
    check(f"{name}: NetworkPolicy stored", np)
    if not np:
        continue

    def peers(rules, key):
        got = set()
        for r in rules or []:
            if any(p.get("port") == 50002 for p in r.get("ports", [])):
                for p in r.get(key, []):
                    got.add(p["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
        return got
    callers = {o for o, s in svcs.items() if name in s["invokes"]}
    check(f"{name}: invocation allowed in from {sorted(callers) or 'nobody'}",
          peers(np["spec"].get("ingress"), "from") == callers, peers(np["spec"].get("ingress"), "from"))
    check(f"{name}: invocation allowed out to {sorted(svc['invokes']) or 'nobody'}",
          peers(np["spec"].get("egress"), "to") == set(svc["invokes"]), peers(np["spec"].get("egress"), "to"))
    ac = ((own_config_doc(name) or {}).get("spec") or {}).get("accessControl") or {}
    if ac.get("defaultAction") == "deny":
        allowed = {p["appId"] for p in ac.get("policies") or []}
        check(f"{name}: the callers its NetworkPolicy lets in are those its Configuration allows",
              callers == allowed, (sorted(callers), sorted(allowed)))

    # Stores: Kafka and Redis exactly where the sidecar loads their
    # components (or the app uses Redis itself), Postgres where it uses it.
    def store_ports(rules):
        return {p.get("port") for r in rules or [] for p in r.get("ports", [])
                if "to" in r and not any("namespaceSelector" in t for t in r["to"])}
    want_ports = {port for store, port, ok in (
        ("kafka", 9092, loads(name, "pubsub.kafka")),
        ("redis", 6379, loads(name, "state.redis") or "redis" in svc["uses"]),
        ("postgres", 5432, "postgres" in svc["uses"])) if ok}
    got_ports = store_ports(np["spec"].get("egress")) & {9092, 6379, 5432}
    if values["devDependencies"]["enabled"] or values["externalStores"]["cidrs"]:
        check(f"{name}: reaches exactly the stores it needs ({sorted(want_ports)})",
              got_ports == want_ports, sorted(got_ports))

    # Secrets: its sidecar reads exactly what its Configuration allows.
    scopes = (((own_config_doc(name) or {}).get("spec") or {}).get("secrets") or {}).get("scopes") or []
    want_secrets = sorted({n for sc in scopes for n in sc.get("allowedSecrets") or []})
    role = obj("Role", f"{name}-secrets")
    got_secrets = sorted(role["rules"][0]["resourceNames"]) if role else []
    check(f"{name}: its sidecar may read the Secrets {want_secrets or 'none'}, as its Configuration says",
          got_secrets == want_secrets and (role is None or role["rules"][0]["resourceNames"]),
          got_secrets)

deny = obj("NetworkPolicy", f"{release}-default-deny")
check("default-deny NetworkPolicy: every pod, no rule",
      deny and deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
      and not deny["spec"].get("ingress") and not deny["spec"].get("egress"))

# Ingress: /api -> api-gateway, / -> web; streams unbuffered; TLS per values.
ing, stream = obj("Ingress", release), obj("Ingress", f"{release}-stream")
if values["ingress"]["enabled"]:
    rule = ing["spec"]["rules"][0]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    check(f"Ingress host {values['ingress']['host']}", rule["host"] == values["ingress"]["host"], rule["host"])
    check("Ingress routes /api -> api-gateway, / -> web",
          routes == {"/api": "api-gateway", "/": "web"}, routes)
    sa = stream["metadata"]["annotations"]
    sroutes = {p["path"] for p in stream["spec"]["rules"][0]["http"]["paths"]}
    check("stream Ingress: /api/notifications/stream and /api/chat unbuffered, long timeout",
          {"/api/notifications/stream", "/api/chat"} <= sroutes
          and sa.get("nginx.ingress.kubernetes.io/proxy-buffering") == "off"
          and sa.get("nginx.ingress.kubernetes.io/proxy-read-timeout")
          == str(values["ingress"]["streamTimeoutSeconds"]), (sroutes, sa))
    tls = values["ingress"]["tls"]
    check(f"Ingress TLS {'on' if tls['enabled'] else 'off'}",
          bool(ing["spec"].get("tls")) == tls["enabled"], ing["spec"].get("tls"))
    issuer = ing["metadata"]["annotations"].get("cert-manager.io/cluster-issuer", "")
    check("cert-manager issuer as the values say",
          issuer == (tls.get("clusterIssuer", "") if tls["enabled"] else ""), issuer)

# Dapr resources: one per file of dapr-components/, same names and scopes.
files = sorted(glob.glob(os.path.join(ROOT, "dapr-components", "*.yaml"))
               + glob.glob(os.path.join(ROOT, "dapr-components", "config", "*.yaml")))
for path in files:
    src = load(path)
    if src["kind"] == "Configuration" and src["metadata"]["name"] == "daprsystem":
        continue  # Sentry's: the control plane brings its own
    got = obj(src["kind"], src["metadata"]["name"])
    rel = os.path.relpath(path, ROOT)
    check(f"{src['kind']} {src['metadata']['name']} from {rel} stored", got)
    if got and src["kind"] == "Component":
        check(f"{src['metadata']['name']}: scopes as in {rel}",
              got.get("scopes") == src.get("scopes"), (got.get("scopes"), src.get("scopes")))
        items = {m["name"]: m.get("value") for m in got["spec"].get("metadata", [])}
        if src["spec"]["type"] == "pubsub.kafka":
            want = values["kafka"]["brokers"] or f"{release}-kafka:9092"
            check(f"pubsub brokers {want}", items.get("brokers") == want, items.get("brokers"))
    if got and src["kind"] == "Configuration":
        check(f"{src['metadata']['name']}: no nameResolution (Kubernetes DNS, never mDNS)",
              "nameResolution" not in got["spec"])
        policies = (got["spec"].get("accessControl") or {}).get("policies") or []
        wrong = [p["appId"] for p in policies if p.get("namespace", ns) != ns]
        check(f"{src['metadata']['name']}: access-control policies name namespace {ns}",
              not wrong, wrong)

# Secrets: made by the chart, never in the values.
check("JWT signing key Secret stored", obj("Secret", "jwt-signing-key"))

passed, failed = results.count(True), results.count(False)
print(f"{env}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
