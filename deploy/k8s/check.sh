#!/usr/bin/env bash
# Renders deploy/k8s with kubectl's built-in kustomize (offline) and validates every object: core kinds
# against the Kubernetes OpenAPI schemas (kubernetes-models from npm), cert-manager resources against theirs,
# Strimzi resources for the fields we rely on, the references between objects, and TLS with authentication on
# every hop (docs/security.md). Then validate/selftest.mjs breaks copies of the rendering one way at a time
# (TLS lost, a plaintext URL, a Secret, volume or certificate missing) and fails unless each is caught.
# What only a live cluster shows is listed in docs/operations.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v kubectl >/dev/null || { echo "kubectl is missing: apt-get install kubernetes-client" >&2; exit 1; }
for generated in "$here"/generated/*/kubernetes.yml; do
  [[ -f "$generated" ]] || { echo "no generated manifests in $here/generated: run ./mvnw package first" >&2; exit 1; }
done
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$here" >"$rendered"
cd "$here/validate"
[[ -d node_modules/kubernetes-models && -d node_modules/@kubernetes-models/cert-manager ]] || npm install --no-audit --no-fund --loglevel=error
node validate.mjs "$rendered"
node selftest.mjs "$rendered" | grep -v "^caught "
