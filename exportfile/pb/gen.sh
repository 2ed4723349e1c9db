#!/bin/sh
# Regenerates export.pb.go from export.proto.
# Needs protoc (apt-get install protobuf-compiler) and protoc-gen-go at the
# version of google.golang.org/protobuf in go.mod; the plugin is installed
# into the module's .cache/bin (gitignored) when missing.
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
version=$(cd "$root" && go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin="$root/.cache/bin"
if ! [ -x "$bin/protoc-gen-go" ] || ! "$bin/protoc-gen-go" --version | grep -qx "protoc-gen-go $version"; then
	GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$version"
fi
PATH="$bin:$PATH" protoc --go_out=. --go_opt=paths=source_relative export.proto
