#!/usr/bin/env bash
# Create .venv with every dependency at the versions of requirements/constraints.txt.
#   bash scripts/setup.sh [--torch auto|pypi|cpu|cu126]   (or VSS_TORCH=...)
# The torch build (torch 2.14.1 + torchvision 0.29.1 in each):
#   pypi   PyPI's build (CUDA 13; also runs on the CPU): needs an NVIDIA driver R580+ for GPUs
#   cpu    the CPU-only build (download.pytorch.org/whl/cpu): no CUDA libraries at all
#   cu126  the CUDA 12.6 build (download.pytorch.org/whl/cu126): drivers R525 and newer
#   auto   (default) a GPU with a driver R580+: pypi; an older driver: cu126; no GPU: cpu, or pypi
#          where download.pytorch.org cannot be reached (the build this machine's disk holds)
# Idempotent: a stamp records what was installed, so a second run returns at once.
# Order matters: torch first, then sam2 built against that torch without build isolation (its
# CUDA extension is optional and skipped), then this package with all its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

variant=${VSS_TORCH:-auto}
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) variant=$2; shift 2 ;;
    --torch=*) variant=${1#--torch=}; shift ;;
    *) echo "setup: unknown option $1 (use --torch auto|pypi|cpu|cu126)" >&2; exit 2 ;;
  esac
done
case "$variant" in auto|pypi|cpu|cu126) ;; *)
  echo "setup: --torch $variant: choose auto, pypi, cpu or cu126" >&2; exit 2 ;; esac

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is required (torch 2.14.1 wheels); set PYTHON=/path/to/python3.11" >&2; exit 1; }

reachable() { "$python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=10)" "$1" >/dev/null 2>&1; }
if [ "$variant" = auto ]; then
  driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 || true)
  if [ -n "$driver" ]; then
    if [ "${driver%%.*}" -ge 580 ]; then variant=pypi; else variant=cu126; fi
  elif reachable https://download.pytorch.org/whl/cpu/torch/; then
    variant=cpu
  else
    variant=pypi
    echo "setup: no GPU, and download.pytorch.org cannot be reached: PyPI's torch build (it runs on the CPU)"
  fi
fi

stamp=".venv/.setup-$variant-$(cat pyproject.toml requirements/constraints.txt scripts/setup.sh | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0

[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --disable-pip-version-check -c requirements/constraints.txt)
"${pip[@]}" --upgrade pip "setuptools==80.9.0" wheel  # mmengine needs pkg_resources (gone in 81)
case "$variant" in
  pypi) "${pip[@]}" torch==2.14.1 torchvision==0.29.1 ;;
  *) "${pip[@]}" --index-url "https://download.pytorch.org/whl/$variant" torch==2.14.1 torchvision==0.29.1 ;;
esac
SAM2_BUILD_CUDA=0 "${pip[@]}" --no-build-isolation sam2==1.1.0
"${pip[@]}" -e '.[all,test]'
rm -f .venv/.setup-*
touch "$stamp"
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'), $variant build)"
