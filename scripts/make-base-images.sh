#!/usr/bin/env bash
# Makes the Debian base images the Dockerfile starts from, docker.io/library/debian:bookworm
# and docker.io/library/debian:bookworm-slim, out of a Debian mirror with debootstrap: the one
# this machine's apt already uses (its sources under /etc/apt/sources.list.d/, then
# /etc/apt/sources.list), so no mirror is named here. Docker Hub is out of reach on the
# project's machines; the machine's Debian mirror is not. The images' digests are printed at the
# end: scripts/container-test.sh builds FROM them by digest.
# Idempotent: an image that `podman image exists` is left alone. Installs podman, buildah,
# debootstrap and runc when one is missing (needs root, as on the project's machines).
#
# Environment: DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR (default: read from the machine's apt
# sources), CONTAINERS_CONF (default: scripts/containers.conf beside this file).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
suite=bookworm
full_image="docker.io/library/debian:${suite}"
slim_image="docker.io/library/debian:${suite}-slim"

log() { printf '[make-base-images] %s\n' "$*" >&2; }

# Prints the URI of the first apt source serving SUITE: deb822 `.sources` files (Types: deb,
# URIs:, Suites:) under /etc/apt/sources.list.d/, then one-line `deb URI SUITE ...` entries.
apt_source_for() {
  local wanted="$1" file
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$file" ]] || continue
    awk -v wanted="$wanted" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " wanted " ") && uri != "") { print uri; found = 1; exit }
        types = ""; suites = ""; uri = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "enabled:" && tolower($2) == "no" { types = "" }
      END { if (!found) flush() }
    ' "$file" | head -n 1 | grep . && return 0
  done
  for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
    [[ -f "$file" ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E 's/\[[^]]*\]//' "$file" | awk -v wanted="$wanted" '$1 == "deb" && $3 == wanted { print $2; exit }' |
      grep . && return 0
  done
  return 1
}

find_mirrors() {
  mirror="${DEBIAN_MIRROR:-}"
  if [[ -z "$mirror" ]]; then
    mirror="$(apt_source_for "$suite")" || {
      log "no apt source for $suite under /etc/apt/sources.list.d/ or /etc/apt/sources.list;"
      log "set DEBIAN_MIRROR to a Debian mirror's URL (e.g. the one your apt uses)"
      return 1
    }
  fi
  security_mirror="${DEBIAN_SECURITY_MIRROR:-}"
  if [[ -z "$security_mirror" ]]; then
    security_mirror="$(apt_source_for "$suite-security")" || security_mirror="${mirror}-security"
  fi
  mirror="${mirror%/}"
  security_mirror="${security_mirror%/}"
  log "Debian mirror: $mirror (security: $security_mirror)"
}

ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v buildah >/dev/null || missing+=(buildah)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v runc >/dev/null || missing+=(runc)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap runc >/dev/null
  fi
}

# Turns a fresh debootstrap tree into what the official image holds: apt pointed at
# bookworm, bookworm-updates and bookworm-security, empty package lists, no caches,
# and the apt settings the official images carry (no translations, no kept caches).
configure_tree() {
  local root="$1"
  rm -f "$root/etc/apt/sources.list"
  mkdir -p "$root/etc/apt/sources.list.d"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${mirror}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security_mirror}
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
// No package caches in image layers (what the official images do).
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  printf 'Apt::AutoRemove::SuggestsImportant "false";\n' \
    >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  printf 'force-unsafe-io\n' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  # The build host's name and resolver do not belong in an image; podman supplies both.
  : >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/apt/*.bin "$root"/var/log/*.log "$root"/var/log/apt/* \
    "$root"/tmp/* "$root"/root/.cache
  mkdir -p "$root/var/lib/apt/lists/partial"
}

# What debian:*-slim leaves out: documentation, man and info pages, translations; and the
# dpkg settings that keep later installs from adding them back.
slim_tree() {
  local root="$1"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in Debian's slim images: no documentation, manual pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
    "$root"/usr/share/lintian/* "$root"/usr/share/linda/* "$root"/usr/share/locale/*
}

import_tree() {
  local root="$1" image="$2"
  tar --numeric-owner -C "$root" -c . |
    podman import --quiet \
      --change 'CMD ["bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$image" >/dev/null
  log "imported $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
}

work=""
cleanup() {
  [[ -n "$work" ]] || return 0
  umount -R "$work/root/proc" "$work/root/sys" 2>/dev/null || true
  rm -rf "$work"
}

print_digests() {
  local image
  for image in "$full_image" "$slim_image"; do
    log "$image: docker.io/library/debian@$(podman image inspect --format '{{.Digest}}' "$image")"
  done
}

main() {
  ensure_tools
  local need_full=1 need_slim=1
  podman image exists "$full_image" && need_full=0
  podman image exists "$slim_image" && need_slim=0
  if ((!need_full && !need_slim)); then
    log "$full_image and $slim_image already exist"
    print_digests
    return 0
  fi
  find_mirrors

  work="$(mktemp -d /var/tmp/debootstrap.XXXXXX)"
  # debootstrap may leave proc/sys mounted in the tree if it is interrupted.
  trap cleanup EXIT
  log "debootstrap --variant=minbase $suite from $mirror"
  if ! debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    log "debootstrap failed"
    return 1
  fi
  configure_tree "$work/root"
  if ((need_full)); then
    import_tree "$work/root" "$full_image"
  fi
  if ((need_slim)); then
    slim_tree "$work/root"
    import_tree "$work/root" "$slim_image"
  fi
  print_digests
}

main "$@"
