#!/usr/bin/env bash
# Create .venv with every dependency at the versions of requirements/constraints.txt.
# Idempotent: a stamp records what was installed, so a second run returns at once.
# Order matters: torch from the local wheels first, then sam2 built against that torch without
# build isolation (its CUDA extension is optional and skipped), then this package.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is required (torch 2.14.1 wheels); set PYTHON=/path/to/python3.11" >&2; exit 1; }

stamp=".venv/.setup-$(cat pyproject.toml requirements/constraints.txt scripts/setup.sh | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0

[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --disable-pip-version-check -c requirements/constraints.txt)
"${pip[@]}" --upgrade pip "setuptools==80.9.0" wheel  # mmengine needs pkg_resources (gone in 81)
"${pip[@]}" torch==2.14.1 torchvision==0.29.1
SAM2_BUILD_CUDA=0 "${pip[@]}" --no-build-isolation sam2==1.1.0
"${pip[@]}" -e '.[test]'
rm -f .venv/.setup-*
touch "$stamp"
echo "setup: .venv ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
