#!/usr/bin/env bash
# Builds libberth in release mode and installs it under PREFIX:
#   PREFIX/lib/libberth.so.X.Y.Z with the links libberth.so.SONAME-VERSION (the name
#   programs ask the loader for: 0.Y while the version is 0.x, else X) and libberth.so,
#   PREFIX/lib/libberth.a, PREFIX/include/berth.h, PREFIX/include/berth.hpp,
#   PREFIX/lib/pkgconfig/berth.pc
#
# Usage: capi/install.sh PREFIX        (e.g. capi/install.sh /usr/local, or $HOME/.local)
#        PROFILE=debug capi/install.sh PREFIX   (a quick unoptimised build)
# Then:  PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs berth
set -euo pipefail

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: capi/install.sh PREFIX"
prefix=$1
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}

version=$(sed -n 's/^#define BERTH_VERSION "\(.*\)"$/\1/p' "$root/include/berth.h")
[ -n "$version" ] || die "no BERTH_VERSION in include/berth.h"

profile=${PROFILE:-release}
case $profile in
  release) (cd "$root" && cargo build --release -p berth-capi --lib) ;;
  debug) (cd "$root" && cargo build -p berth-capi --lib) ;;
  *) die "PROFILE must be release or debug, not $profile" ;;
esac
built=$target/$profile

# The SONAME capi/build.rs gives the library.
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then soname=libberth.so.0.$minor; else soname=libberth.so.$major; fi

install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 0755 "$built/libberth.so" "$prefix/lib/libberth.so.$version"
ln -sfn "libberth.so.$version" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libberth.so"
install -m 0644 "$built/libberth.a" "$prefix/lib/libberth.a"
install -m 0644 "$root/include/berth.h" "$root/include/berth.hpp" "$prefix/include/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$root/capi/berth.pc.in" \
  >"$prefix/lib/pkgconfig/berth.pc"
chmod 0644 "$prefix/lib/pkgconfig/berth.pc"
printf 'installed libberth %s under %s\n' "$version" "$prefix"
