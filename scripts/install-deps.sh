#!/usr/bin/env bash
# Installs what llamafast needs to build and test, from Debian 12 packages only.
# Idempotent: packages already present are left as they are.
#   scripts/install-deps.sh              build + test dependencies
#   scripts/install-deps.sh --reference  also PyTorch, NumPy and SentencePiece for
#                                        regenerating golden data (scripts/reference, scripts/tokenizer)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config  # toolchain and build system
  nlohmann-json3-dev   # JSON: config.json, safetensors headers, tokenizer.json
  libcli11-dev         # command-line parsing for the llamafast CLI
  libfmt-dev           # formatting of messages and output
  libpcre2-dev         # Unicode regexes for BPE pre-tokenizers (Llama 3)
  libxxhash-dev        # XXH3 checksums of .llf files
  libgtest-dev libgmock-dev  # GoogleTest: the test suite
  libbenchmark-dev     # Google Benchmark: kernel and tokenizer microbenchmarks
  clang libclang-rt-14-dev   # libFuzzer targets
)
if [[ "${1:-}" == "--reference" ]]; then
  packages+=(python3-torch python3-numpy python3-sentencepiece sentencepiece nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "llamafast: dependencies installed"
