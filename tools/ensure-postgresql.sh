#!/usr/bin/env bash
# The SQL tests start a private PostgreSQL server from Debian's package: install it when missing.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
"${apt_get[@]}" install -y --no-install-recommends postgresql \
  || { "${apt_get[@]}" update && "${apt_get[@]}" install -y --no-install-recommends postgresql; }
