#!/usr/bin/env bash
# Builds the real tools the export and Kubernetes tests use, from their Go modules (no release
# download is reachable here), into tools/bin/ (a link, git-ignored, to a per-machine cache), each skipped when that version is
# there already:
#   helm            helm.sh/helm/v3, with the version ldflags its Makefile sets
#   docker-compose  github.com/docker/compose/v2 (Compose v2, the CLI plugin, run standalone)
#   kube-apiserver  k8s.io/kubernetes, through a wrapper module that pins its staging modules
# installs Debian's etcd, Chromium and Prometheus, and fetches the Compose-spec JSON schema from
# github.com/compose-spec/compose-go/v2. Used by CI and by the README's test command; needs Go.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
COMPOSE_VERSION=v2.40.3
COMPOSE_GO_VERSION=v2.9.1
KUBE_VERSION=v1.37.0
# Built once per machine (a fresh clone reuses them): tools/ links to the cache.
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/deloc/tools"
BIN="$CACHE/bin"
mkdir -p "$BIN"
if [[ -d tools && ! -L tools ]]; then rm -rf tools; fi
ln -sfn "$CACHE" tools
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

# name version module package ldflags: built inside a copy of the module, so its go.mod's replace
# and exclude directives apply (`go install pkg@version` refuses modules that have them).
build() {
  local name=$1 version=$2 module=$3 pkg=$4 ldflags=$5
  if [[ -x "$BIN/$name" && "$(cat "$BIN/.$name.version" 2>/dev/null)" == "$version" ]]; then
    echo "tools: $name $version up to date"
    return
  fi
  echo "tools: building $name $version from the Go module proxy"
  local t0=$SECONDS src work
  src=$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  (cd "$work" && go build -trimpath -ldflags "-s -w $ldflags" -o "$BIN/$name" "$pkg")
  rm -rf "$work"
  echo "$version" > "$BIN/.$name.version"
  echo "tools: $name built in $((SECONDS - t0)) s"
}

build helm "$HELM_VERSION" helm.sh/helm/v3 ./cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
build docker-compose "$COMPOSE_VERSION" github.com/docker/compose/v2 ./cmd \
  "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION"

# kube-apiserver: k8s.io/kubernetes replaces its k8s.io/* staging modules with folders its module
# zip does not carry; a wrapper module pins each to its published v0.x release instead.
if [[ -x "$BIN/kube-apiserver" && "$(cat "$BIN/.kube-apiserver.version" 2>/dev/null)" == "$KUBE_VERSION" ]]; then
  echo "tools: kube-apiserver $KUBE_VERSION up to date"
else
  echo "tools: building kube-apiserver $KUBE_VERSION from the Go module proxy"
  t0=$SECONDS
  work=$(mktemp -d)
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  staging="v0.${KUBE_VERSION#v1.}"
  {
    printf 'module deloc.dev/kube-apiserver\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$(sed -n 's/^go //p' "$gomod")" "$KUBE_VERSION"
    sed -n "s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 $staging#p" "$gomod"
    printf ')\n'
  } > "$work/go.mod"
  minor=${KUBE_VERSION#v1.}
  (cd "$work" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" && go build -trimpath -o "$BIN/kube-apiserver" \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*}" \
    k8s.io/kubernetes/cmd/kube-apiserver)
  rm -rf "$work"
  echo "$KUBE_VERSION" > "$BIN/.kube-apiserver.version"
  echo "tools: kube-apiserver built in $((SECONDS - t0)) s"
fi
# Debian's packages the tests run: etcd (the API server's store), Chromium (deloc ui's browser
# tests, driven by playwright-core) and Prometheus (promtool, and a real scrape of /metrics).
missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
if ((${#missing[@]})); then
  echo "tools: installing Debian's ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dir=$(go mod download -json "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
cp "$dir/schema/compose-spec.json" "$CACHE/compose-spec.json"
chmod 0644 "$CACHE/compose-spec.json"
"$BIN/helm" version --short
"$BIN/docker-compose" version --short
"$BIN/kube-apiserver" --version
