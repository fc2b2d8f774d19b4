#!/usr/bin/env bash
# staticcheck from the Go module proxy (pinned), then run it over the module.
set -euo pipefail
go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
"$(go env GOPATH)/bin/staticcheck" ./...
