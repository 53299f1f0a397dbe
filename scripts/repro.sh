#!/usr/bin/env bash
# The main job: set up, fetch (or pull) the data, check it against data.dvc, then `dvc repro`.
# Extra arguments go to `dvc repro` (e.g. a stage name).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export PATH="$PWD/.venv/bin:$PATH"

if [ -n "$(dvc remote list)" ]; then
  dvc pull data.dvc || echo "repro: dvc pull failed; fetching from the source instead" >&2
fi
vss fetch camvid --dest data/camvid

# data/ must be what data.dvc pins. `dvc commit` hashes it (and links it into the DVC cache,
# so `dvc push` works); a changed data.dvc means the data differs from the pinned version.
cp data.dvc .dvc/tmp-data.dvc.pinned
dvc commit --force --quiet data.dvc
if ! cmp -s data.dvc .dvc/tmp-data.dvc.pinned; then
  mv .dvc/tmp-data.dvc.pinned data.dvc
  echo "repro: data/ differs from the version pinned in data.dvc. If you added or changed a" >&2
  echo "       dataset on purpose, record it with 'dvc add data' and commit data.dvc." >&2
  exit 1
fi
rm .dvc/tmp-data.dvc.pinned
dvc repro "$@"
vss readme  # the README's headline table from reports/headline.md
