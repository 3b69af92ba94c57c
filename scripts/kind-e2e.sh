#!/usr/bin/env bash
# End-to-end check on a real Kubernetes cluster (kind), for machines with Docker. It cannot run on the
# project's CI machines (no Docker there); the same behaviour is tested there against the API simulator.
#
# Needs: docker, kind, kubectl, helm (3 or 4). Takes a few minutes. Usage, from the repository root:
#   scripts/kind-e2e.sh            # create a cluster, test, delete the cluster
#   KEEP=1 scripts/kind-e2e.sh     # keep the cluster afterwards to look around
#
# What it does: builds the image from the Dockerfile, loads it into kind, runs a one-member etcd in the
# cluster, installs the chart with a default ClusterEtcdSource, creates a PrefixSync that rolls a
# Deployment, and checks that (1) the ConfigMap mirrors etcd, (2) a change in etcd reaches the ConfigMap
# and restarts the Deployment once, (3) the operator's RBAC is enough (nothing is Forbidden in its logs).
set -euo pipefail

CLUSTER=${CLUSTER:-eco-e2e}
IMAGE=etcd-config-operator:e2e
ETCD_IMAGE=${ETCD_IMAGE:-quay.io/coreos/etcd:v3.5.16}
NS=etcd-config-operator
APP_NS=demo
TIMEOUT=180s

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "kind-e2e: $tool is required" >&2; exit 2; }
done

step() { printf '\n== %s\n' "$*"; }
fail() { echo "kind-e2e: FAILED: $*" >&2; kubectl -n "$NS" logs -l app.kubernetes.io/name=etcd-config-operator --tail=50 >&2 || true; exit 1; }

cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept cluster '$CLUSTER' (kind delete cluster --name $CLUSTER)"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

etcdctl() { kubectl -n etcd exec deploy/etcd -- etcdctl --endpoints=http://127.0.0.1:2379 "$@"; }

step "cluster"
kind create cluster --name "$CLUSTER" --wait 120s
kubectl config use-context "kind-$CLUSTER"

step "image"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

step "etcd (one member, plaintext, in namespace etcd)"
kubectl create namespace etcd
kubectl -n etcd apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: etcd}
spec:
  selector: {matchLabels: {app: etcd}}
  template:
    metadata: {labels: {app: etcd}}
    spec:
      containers:
        - name: etcd
          image: $ETCD_IMAGE
          command: [etcd, --data-dir=/tmp/etcd, --listen-client-urls=http://0.0.0.0:2379,
                    --advertise-client-urls=http://etcd.etcd.svc:2379]
          ports: [{containerPort: 2379}]
---
apiVersion: v1
kind: Service
metadata: {name: etcd}
spec:
  selector: {app: etcd}
  ports: [{port: 2379}]
EOF
kubectl -n etcd rollout status deploy/etcd --timeout="$TIMEOUT"
etcdctl put /config/demo/greeting hello
etcdctl put /config/demo/db/host db.demo.svc

step "operator (Helm chart, default ClusterEtcdSource open to namespace $APP_NS for /config/demo/)"
helm install eco charts/etcd-config-operator --namespace "$NS" --create-namespace --wait --timeout 5m \
  --set image.repository=etcd-config-operator --set image.tag=e2e --set image.pullPolicy=Never \
  --set defaultSource.endpoints=etcd.etcd.svc:2379 \
  --set "defaultSource.access[0].namespaces={$APP_NS}" \
  --set "defaultSource.access[0].prefixes={/config/demo/}"
kubectl wait --for=condition=Ready clusteretcdsource/default --timeout="$TIMEOUT" || fail "source not Ready"

step "PrefixSync with a Deployment to roll"
kubectl create namespace "$APP_NS"
kubectl -n "$APP_NS" apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: registry.k8s.io/pause:3.10
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: app-config, optional: true}}]
---
apiVersion: etcdconfig.dev/v1alpha1
kind: PrefixSync
metadata: {name: app}
spec:
  sourceRef: {name: default}
  prefix: /config/demo/
  target: {name: app-config}
  rollout: {mode: targets, targets: [{kind: Deployment, name: app}]}
  debounce: 500ms
EOF
kubectl -n "$APP_NS" wait --for=condition=Ready psync/app --timeout="$TIMEOUT" || fail "PrefixSync not Ready"
[ "$(kubectl -n "$APP_NS" get cm app-config -o jsonpath='{.data.greeting}')" = hello ] || fail "ConfigMap content"
[ "$(kubectl -n "$APP_NS" get cm app-config -o jsonpath='{.data.db\.host}')" = db.demo.svc ] || fail "db.host"
before=$(kubectl -n "$APP_NS" get deploy app -o jsonpath='{.metadata.generation}')

step "a change in etcd reaches the ConfigMap and rolls the Deployment"
etcdctl put /config/demo/greeting bonjour
for _ in $(seq 1 60); do
  [ "$(kubectl -n "$APP_NS" get cm app-config -o jsonpath='{.data.greeting}')" = bonjour ] && break
  sleep 2
done
[ "$(kubectl -n "$APP_NS" get cm app-config -o jsonpath='{.data.greeting}')" = bonjour ] || fail "change not synced"
kubectl -n "$APP_NS" rollout status deploy/app --timeout="$TIMEOUT"
hash=$(kubectl -n "$APP_NS" get deploy app -o jsonpath='{.spec.template.metadata.annotations.etcdconfig\.dev/config-hash}')
[ -n "$hash" ] || fail "no config-hash annotation on the pod template"
[ "$(kubectl -n "$APP_NS" get deploy app -o jsonpath='{.metadata.generation}')" -gt "$before" ] || fail "not rolled"

step "RBAC: nothing Forbidden in the operator's logs"
if kubectl -n "$NS" logs -l app.kubernetes.io/name=etcd-config-operator --tail=-1 | grep -i forbidden; then
  fail "the operator was refused something: see src/operator/permissions.ts"
fi
kubectl -n "$APP_NS" get psync app -o wide
echo
echo "kind-e2e: PASSED"
