#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, and nothing else.
# Idempotent: packages already present are left alone; with none missing it does nothing.
#   tools/deps.sh            build + host tests + bare-QEMU smoke
#   tools/deps.sh xen        also the Xen-in-QEMU harness (Xen 4.17, xl, qemu-system-xen, busybox)
set -euo pipefail

packages=(
  make gcc g++ binutils python3 xz-utils     # toolchain (host gcc builds the guest too)
  cmake                                       # the SDK's CMake toolchain file is tested
  libxen-dev                                  # Xen public headers (/usr/include/xen)
  newlib-source                               # newlib 3.3.0 tarball, built for x86_64-elf
  gcc-12-source                               # libstdc++ for guest apps
  qemu-system-x86                             # bare-QEMU smoke boot
  googletest libgtest-dev                     # host unit tests
  diod                                        # independent 9P2000.L server for interop tests
  nfs-ganesha nfs-ganesha-vfs                 # a second one (iohost imports it too)
  clang libclang-rt-14-dev                    # libFuzzer
)
if [[ "${1:-}" == xen ]]; then
  packages+=(
    xen-hypervisor-4.17-amd64 xen-hypervisor-common xen-utils-4.17   # the hypervisor and xl
    qemu-system-xen                           # dom0's xen-9pfs backend (xen-qemu-system-i386)
    busybox-static cpio kmod                  # dom0 userland and initramfs
    fio stress-ng                             # dom0's load tests of iohost under Linux's v9fs
    e2fsprogs                                 # the conformance VM's ext4 scratch disk (mkfs.ext4)
    tcl                                       # SQLite's own build makes its amalgamation with tclsh
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# xen-utils would start xencommons on a systemd host; the harness runs Xen inside QEMU, not here.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
