#!/usr/bin/env bash
# Builds what the Xen-in-QEMU harness boots, from this host's installed Debian files:
#   OUT/xen          Xen 4.17, uncompressed (QEMU's multiboot loader wants the ELF, not .gz)
#   OUT/vmlinux      the dom0 Linux kernel, uncompressed (saves Xen ~5 s of xz at every boot)
#   OUT/dom0.cpio    dom0's initramfs: busybox, xl, xenstored, xenconsoled, xen-init-dom0,
#                    the xen-9pfs backend (xen-qemu-system-i386), their libraries, modules, /init
# Cached: rebuilt only when this script, dom0-init or an input package's version changes.
#   tests/xen/build-dom0.sh OUT
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $kpkg ]] || { echo "xenbox: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
versions=$(dpkg-query -W -f='${Package}=${Version}\n' xen-hypervisor-4.17-amd64 xen-utils-4.17 \
  qemu-system-xen busybox-static 2>/dev/null)
key=$( { cat "$0" "$here/dom0-init" "$here/linux-domu-init"; echo "$kpkg"; echo "$versions"; } | sha256sum | cut -c1-16)
if [[ -f $out/.key && $(cat "$out/.key") == "$key" && -f $out/dom0.cpio ]]; then exit 0; fi
echo "xenbox: building Xen, dom0 kernel and dom0 initramfs in $out"

# Xen.
zcat /boot/xen-4.17-amd64.gz > "$out/xen"

# The Linux kernel for dom0, unpacked from its package (installing it would pull in
# initramfs-tools and udev and write /boot; we need only the files).
debs=$out/debs kroot=$out/kroot
mkdir -p "$debs"
if ! ls "$debs/$kpkg"_*.deb >/dev/null 2>&1; then
  (cd "$debs" && apt-get download "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
fi
deb=$(ls "$debs/$kpkg"_*.deb | head -1)
rm -rf "$kroot" && mkdir -p "$kroot" && dpkg -x "$deb" "$kroot"
kver=${kpkg#linux-image-}
python3 - "$kroot/boot/vmlinuz-$kver" "$out/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("xenbox: no xz stream in " + sys.argv[1])
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit("xenbox: the unpacked kernel is not an ELF")
open(sys.argv[2], "wb").write(elf)
PY

# The initramfs tree.
root=$out/dom0-root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc/xen,proc,sys,dev,run,tmp,var/lib/xen,var/log/xen/console,mnt,host,srv,mods}
ln -s ../run "$root/var/run"
cp /bin/busybox "$root/bin/busybox"
install -m 755 "$here/dom0-init" "$root/init"
: > "$root/etc/xen/xl.conf"
# iohost's /net/cs resolves with glibc: "localhost" needs the hosts file (nss files is in libc).
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' > "$root/etc/hosts"
mkdir -p "$root/usr/share/qemu/keymaps" && cp /usr/share/qemu/keymaps/en-us "$root/usr/share/qemu/keymaps/"

binaries=(
  /usr/lib/xen-4.17/bin/xl /usr/lib/xen-4.17/bin/xenstored /usr/lib/xen-4.17/bin/xenconsoled
  /usr/lib/xen-4.17/bin/xenconsole /usr/lib/xen-4.17/bin/xen-init-dom0
  /usr/lib/xen-4.17/bin/libxl-save-helper /usr/libexec/xen-qemu-system-i386 /usr/bin/xenstore
)
copy_with_libs() {
  local f=$1
  mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f"
  ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
    [[ -e $root$lib ]] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
}
for b in "${binaries[@]}"; do copy_with_libs "$b"; done
for l in xl xenstored xenconsoled; do ln -sf "/usr/lib/xen-4.17/bin/$l" "$root/sbin/$l"; done
for l in read write ls list rm exists chmod; do ln -sf /usr/bin/xenstore "$root/bin/xenstore-$l"; done

# Kernel modules, with their dependencies, in load order.
moddir=$kroot/lib/modules/$kver
depmod -b "$kroot" "$kver"   # the package ships no modules.dep; dpkg's postinst would make it
# Copies kernel modules and everything they depend on into DEST, with DEST/order listing them
# in load order (busybox insmod does not resolve dependencies).
copy_modules() {
  python3 - "$moddir" "$@" <<'PY'
import os, shutil, sys
moddir, dest, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
deps, by_name = {}, {}
for line in open(os.path.join(moddir, "modules.dep")):
    path, _, rest = line.partition(":")
    deps[path] = rest.split()
    name = os.path.basename(path).split(".ko")[0]
    by_name[name] = by_name[name.replace("-", "_")] = path
order = []
def visit(path):
    for d in deps[path]:
        visit(d)
    if path not in order:
        order.append(path)
for w in wanted:
    if w not in by_name:
        sys.exit("xenbox: module %s not in %s" % (w, moddir))
    visit(by_name[w])
with open(os.path.join(dest, "order"), "w") as f:
    for path in order:
        if not path.endswith(".ko"):
            sys.exit("xenbox: compressed module %s: busybox insmod cannot load it" % path)
        shutil.copy(os.path.join(moddir, path), dest)
        f.write(os.path.basename(path) + "\n")
PY
}
copy_modules "$root/mods" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs virtio_pci 9pnet_virtio 9p \
  9pnet_fd  # Linux's 9P over unix and TCP sockets: the v9fs client that judges iohost

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out/dom0.cpio.tmp"
mv "$out/dom0.cpio.tmp" "$out/dom0.cpio"

# The Linux PV domU that benchmarks run next to ours (same kernel, Linux's trans_xen 9p client).
droot=$out/linux-domu-root
rm -rf "$droot"
mkdir -p "$droot"/{bin,proc,sys,dev,mnt,mods}
cp /bin/busybox "$droot/bin/busybox"
install -m 755 "$here/linux-domu-init" "$droot/init"
copy_modules "$droot/mods" 9pnet_xen 9p
(cd "$droot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$out/linux-domu.cpio.gz"
rm -rf "$kroot"
echo "$key" > "$out/.key"
echo "xenbox: dom0.cpio $(du -m "$out/dom0.cpio" | cut -f1) MiB"
