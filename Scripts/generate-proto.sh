#!/usr/bin/env bash
# Regenerates Sources/Runtime/Proto/caffe.pb.swift from Proto/caffe.proto and
# Sources/Runtime/Proto/onnx.pb.swift from Proto/onnx.proto (the subset of ONNX's schema that
# `experiments export --onnx` writes).
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift built from
# swift-protobuf 1.39.0 (swift build -c release --product protoc-gen-swift) on PATH.
# The generated files are committed, so ordinary builds never run this.
set -euo pipefail
cd "$(dirname "$0")/.."
protoc --proto_path=Proto --swift_out=Sources/Runtime/Proto --swift_opt=Visibility=Public \
    Proto/caffe.proto Proto/onnx.proto
