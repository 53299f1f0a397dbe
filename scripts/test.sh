#!/usr/bin/env bash
# Set up (if needed) and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DVC_NO_ANALYTICS=1
if [ -z "${VSS_CAMVID_MIRROR:-}" ] && [ -f ../shared/data/camvid/SHA256SUMS ]; then
  export VSS_CAMVID_MIRROR="$(cd ../shared/data/camvid && pwd)"
fi
exec .venv/bin/python -m pytest "$@"
