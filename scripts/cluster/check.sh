#!/usr/bin/env bash
# `npm run cluster -- check`: proves the running cluster does what DELoc's pods need. In a namespace
# of its own (deleted at the end): the node is Ready; a Deployment of redis:8.10 (loaded from the
# Docker engine) becomes Ready; its Service name resolves through CoreDNS from another pod, which
# reaches redis through the Service's ClusterIP (kube-proxy); a PVC binds through the default
# StorageClass and a pod writes to it and reads it back.
set -euo pipefail
KUBECTL=$1
KUBECONFIG_FILE=$2
NS=deloc-cluster-check
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
step() { echo "check: $*"; }
trap 'k delete namespace $NS --wait=false >/dev/null 2>&1 || true' EXIT

step "node"
k wait --for=condition=Ready node --all --timeout=60s
k get nodes -o wide

# A namespace of its own, fresh (a previous run deleted its own without waiting).
k delete namespace $NS --ignore-not-found --timeout=120s >/dev/null
k create namespace $NS >/dev/null
k -n $NS apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: redis }
spec:
  selector: { matchLabels: { app: redis } }
  template:
    metadata: { labels: { app: redis } }
    spec:
      containers:
        - name: redis
          image: redis:8.10
          imagePullPolicy: IfNotPresent
          ports: [{ containerPort: 6379 }]
          readinessProbe:
            exec: { command: [redis-cli, ping] }
            periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata: { name: redis }
spec:
  selector: { app: redis }
  ports: [{ port: 6379 }]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 16Mi } }
---
apiVersion: v1
kind: Pod
metadata: { name: writer }
spec:
  restartPolicy: Never
  containers:
    - name: writer
      image: busybox:1.37
      imagePullPolicy: IfNotPresent
      command: [sh, -c, 'echo written-by-a-pod > /data/proof && cat /data/proof']
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: data }
YAML

step "Deployment redis:8.10 becomes Ready"
k -n $NS rollout status deployment/redis --timeout=120s
k -n $NS get pods -l app=redis -o wide

step "PVC binds and a pod writes to it"
k -n $NS wait --for=jsonpath='{.status.phase}'=Succeeded pod/writer --timeout=120s
k -n $NS get pvc data
k -n $NS logs writer

step "Service name through CoreDNS, and redis through the ClusterIP (kube-proxy)"
ip=$(k -n $NS get service redis -o jsonpath='{.spec.clusterIP}')
k -n $NS run client --image=busybox:1.37 --image-pull-policy=IfNotPresent --restart=Never --command -- sh -c \
  "set -e; nslookup redis.$NS.svc.cluster.local; nslookup kubernetes.default.svc.cluster.local
   echo redis by name:; printf 'PING\r\n' | nc -w 3 redis 6379
   echo redis by ClusterIP $ip:; printf 'PING\r\n' | nc -w 3 $ip 6379" >/dev/null
phase=
for _ in $(seq 1 90); do
  phase=$(k -n $NS get pod client -o jsonpath='{.status.phase}')
  [[ $phase == Succeeded || $phase == Failed ]] && break
  sleep 1
done
k -n $NS logs client
[[ $phase == Succeeded ]] || { echo "check: the client pod ended $phase" >&2; exit 1; }
step "all passed"
