#!/usr/bin/env bash
# Installs the Debian packages xlcrm needs when they are missing.
#   scripts/sysdeps.sh demo   Pango (WeasyPrint) and a CJK font
#   scripts/sysdeps.sh test   the above plus poppler-utils, LibreOffice Calc and a
#                             Java runtime (the Spark engine test starts Spark)
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
want=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so' || want+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so' || want+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so' || want+=(libharfbuzz-subset0)
fc-list :lang=zh 2>/dev/null | grep -q . || want+=(fonts-noto-cjk)
command -v fc-list >/dev/null || want+=(fontconfig)
if [ "${1:-demo}" = test ]; then
  command -v pdftoppm >/dev/null || want+=(poppler-utils)
  command -v soffice >/dev/null || want+=(libreoffice-calc-nogui)
  command -v openssl >/dev/null || want+=(openssl)
  command -v java >/dev/null || want+=(default-jre-headless)
  # Calibri's metric twin: LibreOffice then prints our sheets at Excel's widths
  fc-list 2>/dev/null | grep -qi carlito || want+=(fonts-crosextra-carlito)
fi
[ ${#want[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${want[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "xlcrm: installing system packages: ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  $cmd -qq
else
  echo "xlcrm: missing system packages. Install them with:" >&2
  echo "  sudo $cmd" >&2
  exit 1
fi
