#!/usr/bin/env bash
# The tests' way to start and stop kube-lab (../shared/tools/kubernetes/kube-lab, or KUBE_LAB): `kube-lab.sh up DIR N`,
# `kube-lab.sh down DIR`, as kube-lab itself. kubemark 1.20's simulated kubelet serves its fake container runtime on the
# fixed socket /tmp/kubelet_remote.sock, so every simulated node on the machine — of one lab and of labs running beside
# it — would share one runtime, and the one whose socket was replaced loses its containers (they "exit" and crash-loop).
# Here each kubemark runs with a /tmp of its own (a tmpfs in a mount namespace of its own, inside the lab's network
# namespace as before): kube-lab runs the binaries from KUBE_LAB_BIN, a folder where kubemark is that wrapper and the
# others are the binaries kube-lab unpacks. Its /tmp folders (hollow-kubelet.*) go with it.
set -euo pipefail
lab=${KUBE_LAB:-}
if [ -z "$lab" ]; then
  for d in "$(cd "$(dirname "$0")" && pwd)"/..{,/..,/../..,/../../..}; do
    [ -x "$d/shared/tools/kubernetes/kube-lab" ] && { lab="$d/shared/tools/kubernetes/kube-lab"; break; }
  done
fi
[ -n "$lab" ] || { echo "kube-lab.sh: no kube-lab (KUBE_LAB, or shared/tools/kubernetes above the checkout)" >&2; exit 2; }
# Named after the wrapper's content: a changed wrapper is never run from an older copy.
bin=/var/cache/drtools-kube-lab/1.20.2-$(sha1sum "$(dirname "$0")/kubemark-own-tmp" | cut -c1-10)
if [ ! -x "$bin/kubemark" ]; then
  staging="$bin.tmp.$$"
  mkdir -p "$staging/real"
  xz -dc "$(dirname "$lab")/k8s-1.20.2.tar.xz" | tar -xf - -C "$staging/real"
  for program in kube-apiserver kube-controller-manager kube-scheduler; do ln -s "real/$program" "$staging/$program"; done
  mkdir "$staging/mnt"
  cp "$(dirname "$0")/kubemark-own-tmp" "$staging/kubemark"
  mkdir -p "$(dirname "$bin")"
  mv -T "$staging" "$bin" 2>/dev/null || rm -rf "$staging"
fi
KUBE_LAB_BIN=$bin exec "$lab" "$@"
