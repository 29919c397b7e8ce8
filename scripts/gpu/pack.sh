#!/usr/bin/env bash
# Makes .gpu-pack/ (git-ignored): what scripts/gpu/run.sh needs on a GPU host that has no Node.js and no network.
#
#   pnpm turbo run build --filter=@alexnet/cli...   # first: the pack bundles the built dist/ folders
#   bash scripts/gpu/pack.sh
#
# .gpu-pack/node.xz      this machine's Node.js binary (process.execPath), xz-compressed
# .gpu-pack/app.tar.xz   the CLI bundled by scripts/gpu/bundle.mjs (bin.js, worker, probe, dawn.node, sharp, prebuilds,
#                        and the copies of scripts/bench/gpu.mjs and pytorch_alexnet.py that run there)
# .gpu-pack/debs/        Debian 12 amd64 .debs: the Vulkan loader and the GL dispatch libraries that the NVIDIA driver's
#                        Vulkan ICD loads (the device README's list), and libjpeg62-turbo for the JPEG addon
# .gpu-pack/MANIFEST.txt what is in it, each file's size, the commit and the date
#
# Everything that travels with a device call (the tracked tree plus the carried .gpu-pack) must stay under 64 MiB:
# the script prints both and fails when the sum is over.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=.gpu-pack
LIMIT=$((64 * 1024 * 1024))
DEBS=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libjpeg62-turbo)

[ -f apps/cli/dist/bin.js ] || { echo "pack.sh: apps/cli/dist/bin.js is missing: pnpm turbo run build --filter=@alexnet/cli... first" >&2; exit 1; }
grep -qx '.gpu-pack/' .gitignore || { echo "pack.sh: .gitignore must list .gpu-pack/ (it would travel twice)" >&2; exit 1; }
node_bin=$(node -p process.execPath)
node_sum=$(sha256sum "$node_bin" | cut -d' ' -f1)
# The node binary takes the longest to compress: kept from the last pack when it is the same binary.
if [ -f "$PACK/node.xz" ] && [ "$(cat "$PACK/node.sha256" 2>/dev/null)" = "$node_sum" ]; then
  mv "$PACK/node.xz" /tmp/alexnet-node.xz.$$
fi
rm -rf "$PACK"
mkdir -p "$PACK/debs"

echo "bundling the CLI"
node scripts/gpu/bundle.mjs "$PACK/app"
app_bytes=$(du -sb "$PACK/app" | cut -f1)
tar -C "$PACK" -cf - app | xz -T0 -9 >"$PACK/app.tar.xz"
rm -rf "$PACK/app"

if [ -f /tmp/alexnet-node.xz.$$ ]; then
  echo "reusing the compressed $node_bin ($(node --version)) of the last pack"
  mv /tmp/alexnet-node.xz.$$ "$PACK/node.xz"
else
  echo "compressing $node_bin ($(node --version))"
  xz -T0 -9 -c "$node_bin" >"$PACK/node.xz"
fi
echo "$node_sum" >"$PACK/node.sha256"

echo "fetching ${DEBS[*]}"
# The device README's way: amd64 lists of their own in /tmp/amd64, so the machine's apt state is left alone.
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
mkdir -p /tmp/amd64/partial
if ! (cd "$PACK/debs" && apt-get "${apt_opts[@]}" download "${DEBS[@]}" >/dev/null 2>&1); then
  apt-get "${apt_opts[@]}" update >/dev/null
  (cd "$PACK/debs" && apt-get "${apt_opts[@]}" download "${DEBS[@]}" >/dev/null)
fi

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- apps packages scripts || echo '+changes')
{
  echo "alexnet GPU pack: commit $commit, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), Node $(node --version)"
  echo "app (unpacked): $app_bytes bytes"
  (cd "$PACK" && find . -type f ! -name MANIFEST.txt ! -name node.sha256 -printf '%s %p\n' | sort -k2)
} >"$PACK/MANIFEST.txt"

pack_bytes=$(du -sb "$PACK" | cut -f1)
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
total=$((pack_bytes + tree_bytes))
cat "$PACK/MANIFEST.txt"
awk -v p="$pack_bytes" -v t="$tree_bytes" 'BEGIN { m = 1048576;
  printf "pack %.1f MiB + working tree %.1f MiB = %.1f MiB of the 64 MiB a device call carries\n", p / m, t / m, (p + t) / m }'
if [ "$total" -gt "$LIMIT" ]; then
  echo "pack.sh: over the 64 MiB limit" >&2
  exit 1
fi
