# Sourced by the other scripts (from the repository root): set up .venv (idempotent) and the
# environment the suite expects: no DVC telemetry, and CamVid's local mirror when there is one.
bash scripts/setup.sh
export DVC_NO_ANALYTICS=1
if [ -z "${VSS_CAMVID_MIRROR:-}" ] && [ -f ../shared/data/camvid/SHA256SUMS ]; then
  export VSS_CAMVID_MIRROR="$(cd ../shared/data/camvid && pwd)"
fi
