#!/usr/bin/env bash
# A software Vulkan device for onnxruntime-node's WebGPU provider, so WebGPU tests run without a GPU.
#
# Installs the Vulkan loader (libvulkan1) system-wide and unpacks Mesa's lavapipe driver (package
# mesa-vulkan-drivers, >= 23: older lavapipe lacks features Dawn needs) into $LAVAPIPE_DIR, and
# registers it with the Vulkan loader through a driver manifest in the user's
# ${XDG_DATA_HOME:-~/.local/share}/vulkan/icd.d, so every process finds it without environment
# variables (a real GPU's driver, when present, is still preferred: WebGPU picks it first).
# Debian 12's own Mesa is 22.3, so there the driver comes from bookworm-backports, downloaded with
# a private apt sources list: the system's Mesa is untouched.
# Needs root and apt (Debian/Ubuntu); exits non-zero when it cannot install, changes nothing else.
set -euo pipefail

dir="${LAVAPIPE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/codistill/lavapipe}"
manifest="${XDG_DATA_HOME:-$HOME/.local/share}/vulkan/icd.d/codistill-lavapipe.json"
min_major=23
arch="$(dpkg --print-architecture)"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")"
. /etc/os-release

if [ -f "$manifest" ] && [ -f "$dir/lib/libvulkan_lvp.so" ] && ldconfig -p | grep 'libvulkan\.so\.1 ' >/dev/null; then
  echo "lavapipe already installed in $dir"
  exit 0
fi

# Package lists are needed to compare the base release's Mesa (images often ship without them).
ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
apt_install libvulkan1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
major() { sed -E 's/^([0-9]+:)?([0-9]+).*/\2/'; }
base_version="$(apt-cache policy mesa-vulkan-drivers | awk '/Candidate:/ {print $2}')"

# Private apt state: only the backports list, so `apt-get download` sees backports' mesa. Root
# downloads into the private folders (apt's _apt user cannot write there).
apt_private=(-o APT::Sandbox::User=root)
if [ -z "$base_version" ] || [ "$base_version" = "(none)" ] || [ "$(echo "$base_version" | major)" -lt "$min_major" ]; then
  mkdir -p "$work/state/lists/partial" "$work/cache/archives/partial"
  echo "deb http://deb.debian.org/debian ${VERSION_CODENAME}-backports main" >"$work/sources.list"
  apt_private+=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State="$work/state" -o Dir::Cache="$work/cache")
  apt-get "${apt_private[@]}" update -qq
fi
version="$(apt-cache "${apt_private[@]}" policy mesa-vulkan-drivers | awk '/Candidate:/ {print $2}')"
if [ -z "$version" ] || [ "$version" = "(none)" ] || [ "$(echo "$version" | major)" -lt "$min_major" ]; then
  echo "no mesa-vulkan-drivers >= $min_major for $ID $VERSION_CODENAME (found '${version:-none}')" >&2
  exit 1
fi

# The driver's shared-library dependencies (LLVM, libdrm, xcb, ...) by name from the base release:
# the version floors backports states are not needed by lavapipe at run time (checked with ldd below).
deps="$(apt-cache "${apt_private[@]}" show "mesa-vulkan-drivers=$version" | awk -F': ' '/^Depends:/ {print $2; exit}' |
  tr ',' '\n' | sed -E 's/[ (].*//; s/^ +//' | grep -v '^$' | tr '\n' ' ')"
# shellcheck disable=SC2086  # a list of package names
apt_install $deps

(cd "$work" && apt-get "${apt_private[@]}" download -qq "mesa-vulkan-drivers=$version")
dpkg -x "$work"/mesa-vulkan-drivers_*_"$arch".deb "$work/root"
mkdir -p "$dir/lib"
cp "$work/root/usr/lib/$multiarch/libvulkan_lvp.so" "$dir/lib/"
missing="$(ldd "$dir/lib/libvulkan_lvp.so" | grep 'not found' || true)"
if [ -n "$missing" ]; then
  echo "lavapipe $version is missing libraries:" >&2
  echo "$missing" >&2
  exit 1
fi
api="$(sed -nE 's/.*"api_version": *"([^"]+)".*/\1/p' "$work/root/usr/share/vulkan/icd.d/lvp_icd.json")"
echo "$version" >"$dir/version"
mkdir -p "$(dirname "$manifest")"
printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "%s"}}\n' \
  "$dir/lib/libvulkan_lvp.so" "${api:-1.3.0}" >"$manifest"
echo "lavapipe $version installed in $dir, registered in $manifest"
