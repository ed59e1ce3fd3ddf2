#!/usr/bin/env bash
# The end-to-end fault run: an esdbtest server, a bank, three miners, an
# auditor and a scheduler on loopback, while miners are killed and the
# server goes away for 5 s; then it checks that nothing accepted was lost
# or mined twice. About a minute and a half.
#
#   scripts/faultrun.sh          # the default run (45 s of faults)
#   scripts/faultrun.sh 10m      # a soak: 10 minutes of faults
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [ $# -gt 0 ]; then
	args=(-args -soak "$1")
fi
exec go test ./examples/e2e -run '^TestFaultRun$' -v -count=1 -timeout 0 "${args[@]}"
