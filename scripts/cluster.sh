#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, built from source and started here:
#   npm run cluster                  build what is missing (cached per machine, like `npm run tools`),
#                                    start what is not running, write tools/kubeconfig (idempotent)
#   npm run cluster -- build         only build what is missing (CI runs it beside `npm run images`)
#   npm run cluster -- load IMAGE…   copy images from the Docker engine into the cluster's containerd
#   npm run cluster -- status        what runs, the node and the pods
#   npm run cluster -- check         a Deployment, DNS, a Service and a PVC on it (scripts/cluster/check.sh)
#   npm run cluster -- down          stop everything and remove the cluster's state
#
# Components (see scripts/cluster/build.sh): Debian's etcd; kube-apiserver (scripts/tools.sh),
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl, all from one
# k8s.io/kubernetes release; containerd + runc; the bridge, host-local, loopback and portmap CNI
# plugins; CoreDNS; Rancher's local-path-provisioner; a pause program of our own.
#
# The node runs on cgroup v1 (this machine's hierarchy): Kubernetes 1.35+ refuses it unless the
# KubeletConfiguration sets `failCgroupV1: false` (KEP-5573); containerd 2.x and runc 1.4+ deprecate
# it but still support it. Everything lives under its own paths (/var/lib/deloc-cluster,
# /run/deloc-cluster, a containerd with its own socket), so the Docker engine's containerd, images
# and networks are never touched. Needs root.
#
# Addresses: the API server on https://127.0.0.1:6443 (it listens on all addresses and advertises
# the node's, which pods reach through the `kubernetes` Service), etcd on 127.0.0.1:2479, pods in
# 10.88.0.0/16 on the bridge deloc0, Services in 10.96.0.0/16 (cluster DNS 10.96.0.10): clear of
# the Docker engine's 172.17+/16 and 192.168/16 networks. Each component logs to $LOGS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRIPTS=$ROOT/scripts

KUBE_VERSION=v1.37.0 # the API server's, from scripts/tools.sh
CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.3
CNI_VERSION=v1.10.0
COREDNS_VERSION=v1.15.0
PROVISIONER_VERSION=v0.0.30
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2 # containerd 2.4's and kubeadm 1.37's sandbox image
COREDNS_IMAGE=registry.k8s.io/coredns/coredns:$COREDNS_VERSION
PROVISIONER_IMAGE=rancher/local-path-provisioner:$PROVISIONER_VERSION
HELPER_IMAGE=busybox:1.37 # built by `npm run images`: the provisioner's and DELoc's volume helper
# DELoc's init containers wait for what a service depends on with kubectl (src/export/k8s/values.ts
# WAIT_IMAGE): upstream's image is the static kubectl at /bin/kubectl, its entrypoint; ours is the
# same release's kubectl, built here.
KUBECTL_IMAGE=registry.k8s.io/kubectl:$KUBE_VERSION

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/deloc/tools"
BIN=$CACHE/bin
CNI_BIN=$CACHE/cni/bin
STATE=/var/lib/deloc-cluster
RUN=/run/deloc-cluster
LOGS=$STATE/logs
PKI=$STATE/pki
SOCK=$RUN/containerd.sock
NODE=deloc-node
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_IP=10.96.0.10
API_PORT=6443
ETCD_PORT=2479 # not etcd's default, so another etcd on this machine never collides
BRIDGE=deloc0
FWD_CHAIN=DELOC-CLUSTER-FWD
NAT_CHAIN=DELOC-CLUSTER-NAT
KUBECONFIG_OUT=$ROOT/tools/kubeconfig

export GOFLAGS=-mod=mod GOTOOLCHAIN=local
export PATH="$BIN:$PATH"

say() { echo "cluster: $*"; }
die() {
  echo "cluster: $*" >&2
  exit 1
}
kubectl() { "$BIN/kubectl" --kubeconfig "$STATE/kubeconfigs/admin.conf" "$@"; }
# ctr, without the warning every call prints on cgroup v1.
ctr() { "$BIN/ctr" --address "$SOCK" --namespace k8s.io "$@" 2> >(grep -v 'support for cgroup v1 is deprecated' >&2); }

# --- processes -----------------------------------------------------------------------------------

# running NAME: its pid file names a live process of the program it started.
running() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  [[ -n "$pid" && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$(cat "$RUN/$1.cmd" 2>/dev/null || echo '^$')"
}

# start NAME PROGRAM ARGS…: in its own session, so it outlives this script; logs to $LOGS/NAME.log.
start() {
  local name=$1
  shift
  if running "$name"; then
    say "$name runs (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  echo "$1" > "$RUN/$name.cmd"
  setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  say "$name started (pid $!, log $LOGS/$name.log)"
}

# wait_for WHAT SECONDS COMMAND…: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what not ready after ${secs} s (logs: $LOGS)"
}

stop() {
  local name=$1 pid i
  pid=$(cat "$RUN/$name.pid" 2>/dev/null) || return 0
  if running "$name"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$pid" 2>/dev/null || true
    say "$name stopped"
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.cmd"
}

# --- certificates and kubeconfigs ----------------------------------------------------------------

# cert NAME CN ORG USAGE SANS: a key and a certificate signed by the cluster's CA.
cert() {
  local name=$1 cn=$2 org=$3 usage=$4 sans=$5
  [[ -f $PKI/$name.crt ]] && return
  local ext=$PKI/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } > "$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" \
    -subj "/CN=$cn${org:+/O=$org}" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
  chmod 0600 "$PKI/$name.key"
}

# put FILE: stdin into FILE, only when it differs (kube-proxy exits when its config file changes).
put() {
  local tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1" && chmod 0644 "$1"; fi
}

# kubeconfig CERT: a kubeconfig for the API server with the CERT client certificate, inline.
kubeconfig() {
  local crt=$1
  local b64="base64 -w0"
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: deloc
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $($b64 < "$PKI/ca.crt")
users:
- name: $crt
  user:
    client-certificate-data: $($b64 < "$PKI/$crt.crt")
    client-key-data: $($b64 < "$PKI/$crt.key")
contexts:
- name: deloc
  context: { cluster: deloc, user: $crt }
current-context: deloc
EOF
}

pki() {
  mkdir -p "$PKI" "$STATE/kubeconfigs"
  if [[ ! -f $PKI/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 \
      -subj "/CN=deloc-cluster-ca" 2>/dev/null
    chmod 0600 "$PKI/ca.key"
  fi
  # The serving certificates name the node's address: made again when that address changes.
  if [[ "$(cat "$PKI/node-ip" 2>/dev/null)" != "$NODE_IP" ]]; then
    rm -f "$PKI/apiserver.crt" "$PKI/kubelet.crt"
    echo "$NODE_IP" > "$PKI/node-ip"
  fi
  cert apiserver kube-apiserver "" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$NODE_IP"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth ""
  cert admin deloc-admin system:masters clientAuth ""
  cert controller-manager system:kube-controller-manager "" clientAuth ""
  cert scheduler system:kube-scheduler "" clientAuth ""
  cert kube-proxy system:kube-proxy "" clientAuth ""
  cert kubelet-client "system:node:$NODE" system:nodes clientAuth ""
  cert kubelet "system:node:$NODE" system:nodes serverAuth "DNS:$NODE,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  if [[ ! -f $PKI/sa.key ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  local conf
  for conf in admin:admin controller-manager:controller-manager scheduler:scheduler kube-proxy:kube-proxy kubelet:kubelet-client; do
    kubeconfig "${conf#*:}" | put "$STATE/kubeconfigs/${conf%%:*}.conf"
    chmod 0600 "$STATE/kubeconfigs/${conf%%:*}.conf"
  done
  # tools/ is the link to the per-machine cache that scripts/tools.sh makes; made here too when missing.
  [[ -e $ROOT/tools ]] || ln -sfn "$CACHE" "$ROOT/tools"
  install -m 0600 "$STATE/kubeconfigs/admin.conf" "$KUBECONFIG_OUT"
}

# --- configuration files -------------------------------------------------------------------------

# fill FILE: a template from scripts/cluster/ with the @NAME@ placeholders replaced.
fill() {
  sed -e "s#@STATE@#$STATE#g; s#@RUN@#$RUN#g; s#@BIN@#$BIN#g; s#@CNI_BIN@#$CNI_BIN#g" \
    -e "s#@SOCK@#$SOCK#g; s#@PKI@#$PKI#g; s#@POD_CIDR@#$POD_CIDR#g; s#@DNS_IP@#$DNS_IP#g" \
    -e "s#@BRIDGE@#$BRIDGE#g; s#@NODE@#$NODE#g; s#@PAUSE_IMAGE@#$PAUSE_IMAGE#g" \
    -e "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#g; s#@PROVISIONER_IMAGE@#$PROVISIONER_IMAGE#g" \
    -e "s#@HELPER_IMAGE@#$HELPER_IMAGE#g" "$SCRIPTS/cluster/$1"
}

configs() {
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/ipam" "$STATE/config" "$STATE/pod-logs" "$STATE/kubelet" "$STATE/local-path"
  # A program whose configuration changed is restarted (pods keep running through it).
  local pair
  for pair in containerd:containerd.toml kubelet:kubelet.yaml kube-proxy:kube-proxy.yaml; do
    if ! fill "${pair#*:}" | cmp -s - "$STATE/config/${pair#*:}"; then
      stop "${pair%%:*}"
      fill "${pair#*:}" | put "$STATE/config/${pair#*:}"
    fi
  done
  fill cni.conflist | put "$STATE/cni/net.d/10-deloc.conflist"
}

# --- host network --------------------------------------------------------------------------------

# Pod traffic crosses the FORWARD chain, whose policy the Docker engine sets to DROP, and leaves the
# machine masqueraded: rules of our own, in chains of our own, removed by `down`.
network_up() {
  modprobe br_netfilter 2>/dev/null || true
  modprobe overlay 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
  iptables -w -N "$FWD_CHAIN" 2>/dev/null || iptables -w -F "$FWD_CHAIN"
  iptables -w -A "$FWD_CHAIN" -s "$POD_CIDR" -j ACCEPT
  iptables -w -A "$FWD_CHAIN" -d "$POD_CIDR" -j ACCEPT
  iptables -w -C FORWARD -j "$FWD_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FWD_CHAIN"
  iptables -w -t nat -N "$NAT_CHAIN" 2>/dev/null || iptables -w -t nat -F "$NAT_CHAIN"
  iptables -w -t nat -A "$NAT_CHAIN" -s "$POD_CIDR" ! -d "$POD_CIDR" -j MASQUERADE
  iptables -w -t nat -C POSTROUTING -j "$NAT_CHAIN" 2>/dev/null || iptables -w -t nat -I POSTROUTING 1 -j "$NAT_CHAIN"
}

network_down() {
  iptables -w -D FORWARD -j "$FWD_CHAIN" 2>/dev/null || true
  iptables -w -F "$FWD_CHAIN" 2>/dev/null && iptables -w -X "$FWD_CHAIN" 2>/dev/null || true
  iptables -w -t nat -D POSTROUTING -j "$NAT_CHAIN" 2>/dev/null || true
  iptables -w -t nat -F "$NAT_CHAIN" 2>/dev/null && iptables -w -t nat -X "$NAT_CHAIN" 2>/dev/null || true
  # kube-proxy's own chains (KUBE-*), by kube-proxy itself.
  [[ -x $BIN/kube-proxy ]] && "$BIN/kube-proxy" --cleanup >> "$LOGS/kube-proxy-cleanup.log" 2>&1 || true
  # What remains of the kubelet's chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY) and the portmap
  # plugin's (CNI-*, left when pods were not torn down through CNI): jumps first, then the chains.
  local cmd table chain rule
  for cmd in iptables ip6tables; do
    for table in filter nat mangle; do
      "$cmd" -w -t "$table" -S 2>/dev/null | awk '$1 == "-A" && $0 ~ /-j (CNI|KUBE)-/' | while read -r rule; do
        # shellcheck disable=SC2086
        "$cmd" -w -t "$table" ${rule/-A/-D} 2>/dev/null || true
      done
      for chain in $("$cmd" -w -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI|KUBE)-/ {print $2}'); do
        "$cmd" -w -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$cmd" -w -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(CNI|KUBE)-/ {print $2}'); do
        "$cmd" -w -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
}

# --- images --------------------------------------------------------------------------------------

# image TAG DIR: a Docker image FROM scratch of the files in DIR (the Dockerfile written there),
# built again when they change.
image() {
  local tag=$1 dir=$2 sum
  sum=$(cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [[ "$(docker image inspect -f '{{index .Config.Labels "dev.deloc.cluster.sum"}}' "$tag" 2>/dev/null)" == "$sum" ]]; then
    return
  fi
  say "building image $tag"
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q --label "dev.deloc.cluster.sum=$sum" -t "$tag" "$dir" 2>&1) || die "docker build $tag failed: $out"
}

build_images() {
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/pause" "$ctx/coredns" "$ctx/provisioner" "$ctx/kubectl"
  cp "$BIN/pause" "$ctx/pause/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' > "$ctx/pause/Dockerfile"
  cp "$BIN/coredns" "$ctx/coredns/coredns"
  printf 'FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n' > "$ctx/coredns/Dockerfile"
  cp "$BIN/local-path-provisioner" "$ctx/provisioner/local-path-provisioner"
  printf 'FROM scratch\nCOPY local-path-provisioner /usr/bin/local-path-provisioner\nWORKDIR /tmp\nENTRYPOINT ["/usr/bin/local-path-provisioner"]\n' \
    > "$ctx/provisioner/Dockerfile"
  cp "$BIN/kubectl" "$ctx/kubectl/kubectl"
  printf 'FROM scratch\nCOPY kubectl /bin/kubectl\nENV PATH=/bin\nENTRYPOINT ["/bin/kubectl"]\n' > "$ctx/kubectl/Dockerfile"
  image "$PAUSE_IMAGE" "$ctx/pause"
  image "$KUBECTL_IMAGE" "$ctx/kubectl"
  image "$COREDNS_IMAGE" "$ctx/coredns"
  image "$PROVISIONER_IMAGE" "$ctx/provisioner"
  rm -rf "$ctx"
}

# load IMAGE…: `docker save` into the cluster's containerd (namespace k8s.io, where the CRI looks),
# under the same names; skipped for an image whose Docker ID was loaded already.
load() {
  local img id stamp have todo=()
  mkdir -p "$STATE/images"
  have=$(ctr images ls -q)
  for img in "$@"; do
    id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null) || die "no image $img in the Docker engine"
    stamp=$STATE/images/$(echo "$img" | tr '/:@' '___')
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$id" ]] && grep -qx "$(normalize "$img")" <<< "$have"; then
      continue
    fi
    todo+=("$img")
  done
  ((${#todo[@]})) || return 0
  say "loading ${todo[*]} into containerd"
  docker save "${todo[@]}" | ctr images import --local - >/dev/null
  for img in "${todo[@]}"; do
    docker image inspect -f '{{.Id}}' "$img" > "$STATE/images/$(echo "$img" | tr '/:@' '___')"
  done
}

# The full name containerd gives a Docker short name (busybox:1.37 -> docker.io/library/busybox:1.37).
normalize() {
  local n=$1
  [[ $n == */* ]] || n=library/$n
  [[ ${n%%/*} == *.* || ${n%%/*} == *:* || ${n%%/*} == localhost ]] || n=docker.io/$n
  echo "$n"
}

# --- up ------------------------------------------------------------------------------------------

api_ready() {
  curl -sf --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz" >/dev/null
}

# What the cluster needs on this machine, built or installed when missing (cached per machine).
build() {
  [[ $EUID -eq 0 ]] || die "needs root (mounts, iptables, containers)"
  local t0=$SECONDS
  if ! command -v etcd >/dev/null 2>&1; then
    say "installing Debian's etcd-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  fi
  local missing=()
  for tool in conntrack ipset socat ethtool ebtables; do command -v $tool >/dev/null 2>&1 || missing+=("$tool"); done
  if ((${#missing[@]})); then
    say "installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  [[ -x $BIN/kube-apiserver && "$(cat "$BIN/.kube-apiserver.version" 2>/dev/null)" == "$KUBE_VERSION" ]] ||
    bash "$SCRIPTS/tools.sh"
  # shellcheck source=scripts/cluster/build.sh
  source "$SCRIPTS/cluster/build.sh"
  build_all
  say "built in $((SECONDS - t0)) s"
}

up() {
  local t0=$SECONDS
  build
  bash "$SCRIPTS/engine-up.sh" >/dev/null

  NODE_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [[ -n $NODE_IP ]] || NODE_IP=$(hostname -I | awk '{print $1}')
  mkdir -p "$STATE" "$RUN" "$LOGS"
  pki
  configs
  network_up

  start etcd etcd --name deloc --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "deloc=http://127.0.0.1:$((ETCD_PORT + 1))"
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=0.0.0.0 --secure-port=$API_PORT --advertise-address="$NODE_IP" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --service-cluster-ip-range=$SERVICE_CIDR \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname
  wait_for kube-apiserver 90 api_ready

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/kubeconfigs/controller-manager.conf" \
    --authentication-kubeconfig="$STATE/kubeconfigs/controller-manager.conf" \
    --authorization-kubeconfig="$STATE/kubeconfigs/controller-manager.conf" \
    --bind-address=127.0.0.1 --leader-elect=false --cluster-name=deloc \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
    --use-service-account-credentials=true --service-cluster-ip-range=$SERVICE_CIDR
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$STATE/kubeconfigs/scheduler.conf" \
    --authentication-kubeconfig="$STATE/kubeconfigs/scheduler.conf" \
    --authorization-kubeconfig="$STATE/kubeconfigs/scheduler.conf" \
    --bind-address=127.0.0.1 --leader-elect=false

  mkdir -p "$RUN/containerd" "$STATE/containerd"
  start containerd "$BIN/containerd" --config "$STATE/config/containerd.toml"
  wait_for containerd 30 "$BIN/ctr" --address "$SOCK" version
  build_images
  load "$PAUSE_IMAGE" "$COREDNS_IMAGE" "$PROVISIONER_IMAGE" "$HELPER_IMAGE" "$KUBECTL_IMAGE"

  start kubelet "$BIN/kubelet" --config="$STATE/config/kubelet.yaml" \
    --kubeconfig="$STATE/kubeconfigs/kubelet.conf" --root-dir="$STATE/kubelet" \
    --hostname-override=$NODE --node-ip="$NODE_IP"
  start kube-proxy "$BIN/kube-proxy" --config="$STATE/config/kube-proxy.yaml"

  wait_for "node $NODE registered" 60 kubectl get node $NODE
  fill addons.yaml | kubectl apply --server-side --force-conflicts -f - >/dev/null
  say "waiting for the node, CoreDNS and the storage provisioner"
  kubectl wait --for=condition=Ready node/$NODE --timeout=120s >/dev/null ||
    die "node $NODE not Ready (logs: $LOGS/kubelet.log)"
  kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    die "CoreDNS not ready: kubectl --kubeconfig $KUBECONFIG_OUT -n kube-system describe pods"
  kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=180s >/dev/null ||
    die "local-path-provisioner not ready"
  say "ready in $((SECONDS - t0)) s: KUBECONFIG=$KUBECONFIG_OUT (kubectl: $BIN/kubectl), logs in $LOGS"
}

# --- down ----------------------------------------------------------------------------------------

down() {
  [[ $EUID -eq 0 ]] || die "needs root"
  mkdir -p "$LOGS"
  stop kubelet
  stop kube-proxy
  stop kube-scheduler
  stop kube-controller-manager
  # The pods' containers, through runc (root dir set in containerd.toml), then their shims.
  local root=$RUN/runc/k8s.io id pid
  if [[ -d $root && -x $BIN/runc ]]; then
    for id in $("$BIN/runc" --root "$root" list -q 2>/dev/null); do
      "$BIN/runc" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do kill -9 "$pid" 2>/dev/null || true; done
  stop kube-apiserver
  stop etcd
  network_down
  # Mounts left under the state dirs (pod volumes, network namespaces, snapshots), deepest first.
  local m
  for m in $(awk -v a="$STATE" -v b="$RUN" '$5 ~ "^(" a "|" b ")(/|$)" {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  # The kubelet's cgroups (cgroupfs driver: /kubepods in each hierarchy), empty once the pods are gone.
  find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -depth -type d -exec rmdir {} \; 2>/dev/null || true
  rm -rf "$STATE" "$RUN"
  [[ -L $ROOT/tools || -d $ROOT/tools ]] && rm -f "$KUBECONFIG_OUT"
  say "down: processes stopped, $STATE and $RUN removed, bridge $BRIDGE and iptables rules gone"
}

status() {
  local name
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
    if running "$name"; then printf '%-24s running (pid %s)\n' "$name" "$(cat "$RUN/$name.pid")"; else printf '%-24s stopped\n' "$name"; fi
  done
  echo "logs: $LOGS   kubeconfig: $KUBECONFIG_OUT"
  if [[ -f $STATE/kubeconfigs/admin.conf ]] && running kube-apiserver; then
    kubectl get nodes -o wide
    kubectl get pods -A -o wide
  fi
}

case "${1:-up}" in
up) up ;;
build) build ;;
down) down ;;
status) status ;;
check)
  running kube-apiserver || die "the cluster is not running: npm run cluster"
  load redis:8.10 busybox:1.37
  bash "$SCRIPTS/cluster/check.sh" "$BIN/kubectl" "$STATE/kubeconfigs/admin.conf"
  ;;
load)
  shift
  (($#)) || die "usage: npm run cluster -- load IMAGE…"
  running containerd || die "the cluster is not running: npm run cluster"
  load "$@"
  ;;
*) die "usage: npm run cluster [-- up|build|down|status|check|load IMAGE…]" ;;
esac
