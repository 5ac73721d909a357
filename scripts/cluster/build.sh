#!/usr/bin/env bash
# Builds the cluster's programs from their Go modules into the per-machine tools cache (tools/ links
# to it, like scripts/tools.sh), each group skipped when its version is built already. Sourced by
# scripts/cluster.sh, which sets CACHE, BIN and the versions.

# stamp NAME VERSION: true when NAME was built at VERSION.
built() { [[ "$(cat "$BIN/.$1.version" 2>/dev/null)" == "$2" ]]; }
moddir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
timed() { echo "cluster: $1 built in $(($SECONDS - $2)) s"; }

# The Kubernetes node and control-plane programs, in one `go build` so they share its work, through
# a wrapper module that pins k8s.io/kubernetes' staging modules (as tools.sh does for the API server).
build_kube() {
  if built kube "$KUBE_VERSION" && [[ -x "$BIN/kubelet" ]]; then return; fi
  echo "cluster: building kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl $KUBE_VERSION"
  local t0=$SECONDS work gomod minor staging
  work=$(mktemp -d)
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  staging="v0.${KUBE_VERSION#v1.}"
  minor=${KUBE_VERSION#v1.}
  {
    printf 'module deloc.dev/kube-node\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$(sed -n 's/^go //p' "$gomod")" "$KUBE_VERSION"
    sed -n "s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 $staging#p" "$gomod"
    printf ')\n'
  } > "$work/go.mod"
  local pkgs=(k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl)
  (cd "$work" && go get "k8s.io/kubernetes/cmd/kubelet@$KUBE_VERSION" &&
    CGO_ENABLED=0 nice go build -trimpath -o "$BIN/" \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION" \
      "${pkgs[@]}")
  rm -rf "$work"
  echo "$KUBE_VERSION" > "$BIN/.kube.version"
  timed "kubernetes $KUBE_VERSION" "$t0"
}

# src MODULE@VERSION: a writable copy of a module, so its own go.mod (replace, exclude) applies.
modcopy() {
  local dir work
  dir=$(moddir "$1")
  work=$(mktemp -d)
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"
  echo "$work"
}

# containerd (daemon, ctr, the runc shim): static, no cgo, as its Makefile's static build does.
build_containerd() {
  if built containerd "$CONTAINERD_VERSION" && [[ -x "$BIN/containerd" ]]; then return; fi
  echo "cluster: building containerd $CONTAINERD_VERSION"
  local t0=$SECONDS work
  work=$(modcopy "github.com/containerd/containerd/v2@$CONTAINERD_VERSION")
  (cd "$work" && CGO_ENABLED=0 nice go build -trimpath -tags "urfave_cli_no_docs osusergo netgo static_build no_btrfs" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION -X github.com/containerd/containerd/v2/version.Package=github.com/containerd/containerd/v2" \
    -o "$BIN/" ./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2)
  rm -rf "$work"
  echo "$CONTAINERD_VERSION" > "$BIN/.containerd.version"
  timed "containerd $CONTAINERD_VERSION" "$t0"
}

# runc, with seccomp (cgo and Debian's libseccomp-dev); without libpathrs (a Rust library Debian 12
# does not ship; runc 1.5 still builds without it, see its CHANGELOG for 1.5.0-rc.1).
build_runc() {
  if built runc "$RUNC_VERSION" && [[ -x "$BIN/runc" ]]; then return; fi
  if ! dpkg -s libseccomp-dev >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libseccomp-dev >/dev/null
  fi
  echo "cluster: building runc $RUNC_VERSION"
  local t0=$SECONDS work
  work=$(modcopy "github.com/opencontainers/runc@$RUNC_VERSION")
  (cd "$work" && CGO_ENABLED=1 nice go build -trimpath -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o "$BIN/runc" .)
  rm -rf "$work"
  echo "$RUNC_VERSION" > "$BIN/.runc.version"
  timed "runc $RUNC_VERSION" "$t0"
}

# The four CNI plugins the bridge network uses.
build_cni() {
  if built cni "$CNI_VERSION" && [[ -x "$CNI_BIN/bridge" ]]; then return; fi
  echo "cluster: building CNI plugins $CNI_VERSION"
  local t0=$SECONDS work
  mkdir -p "$CNI_BIN"
  work=$(modcopy "github.com/containernetworking/plugins@$CNI_VERSION")
  (cd "$work" && CGO_ENABLED=0 nice go build -trimpath \
    -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_VERSION" \
    -o "$CNI_BIN/" ./plugins/main/bridge ./plugins/main/loopback ./plugins/ipam/host-local ./plugins/meta/portmap)
  rm -rf "$work"
  echo "$CNI_VERSION" > "$BIN/.cni.version"
  timed "CNI plugins $CNI_VERSION" "$t0"
}

# CoreDNS with only the plugins a cluster's DNS needs: its default build links every plugin,
# cloud SDKs included. Our own main package, built inside a copy of the module.
build_coredns() {
  if built coredns "$COREDNS_VERSION" && [[ -x "$BIN/coredns" ]]; then return; fi
  echo "cluster: building CoreDNS $COREDNS_VERSION (kubernetes, forward, cache, errors, health, ready, loop, reload, loadbalance, log)"
  local t0=$SECONDS work
  work=$(modcopy "github.com/coredns/coredns@$COREDNS_VERSION")
  mkdir -p "$work/cmd/deloc-coredns"
  cat > "$work/cmd/deloc-coredns/main.go" <<'GO'
// A CoreDNS with the plugins a Kubernetes cluster's DNS uses, nothing else.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() { coremain.Run() }
GO
  (cd "$work" && CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" ./cmd/deloc-coredns)
  rm -rf "$work"
  echo "$COREDNS_VERSION" > "$BIN/.coredns.version"
  timed "CoreDNS $COREDNS_VERSION" "$t0"
}

# Rancher's local-path-provisioner (host-path volumes on the node). Its module zip keeps only
# vendor/modules.txt, so it builds from the module cache like the others.
build_provisioner() {
  if built local-path-provisioner "$PROVISIONER_VERSION" && [[ -x "$BIN/local-path-provisioner" ]]; then return; fi
  echo "cluster: building local-path-provisioner $PROVISIONER_VERSION"
  local t0=$SECONDS work
  work=$(modcopy "github.com/rancher/local-path-provisioner@$PROVISIONER_VERSION")
  rm -rf "$work/vendor"
  (cd "$work" && CGO_ENABLED=0 nice go build -trimpath \
    -ldflags "-s -w -X main.VERSION=$PROVISIONER_VERSION" -o "$BIN/local-path-provisioner" .)
  rm -rf "$work"
  echo "$PROVISIONER_VERSION" > "$BIN/.local-path-provisioner.version"
  timed "local-path-provisioner $PROVISIONER_VERSION" "$t0"
}

# The sandbox ("pause") program: our own, in C, static; holds the pod's namespaces, reaps orphans.
build_pause() {
  local src="$SCRIPTS/cluster/pause.c"
  if [[ -x "$BIN/pause" && "$BIN/pause" -nt "$src" ]]; then return; fi
  echo "cluster: building pause"
  gcc -Os -static -s -Wall -o "$BIN/pause" "$src"
}

build_all() {
  build_kube
  build_containerd
  build_runc
  build_cni
  build_coredns
  build_provisioner
  build_pause
}
