#!/usr/bin/env bash
# Fails when git tracks a compiled binary (ELF, Mach-O, PE, WebAssembly, an
# ar archive) or a file over 1 MiB outside the places where large files are
# expected. `make test` runs it first: a 17 MB build of the bench was once
# committed by accident, and every clone carries it for ever.
#
# It checks what git holds (the index), not the working tree: a file that is
# staged counts, local build output that git ignores does not. It needs no
# git hooks and works as root on a checkout owned by another user (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

max_bytes=$((1024 * 1024))
# Path prefixes where files over max_bytes are expected: the screenshots of the
# docs and the vendored front-end libraries.
large_ok=(docs/screenshots/ web/public/vendor/)

top=$PWD
git_() { git -c safe.directory="$top" -c core.quotePath=false "$@"; }

if ! command -v git >/dev/null; then
  if [ -e .git ]; then
    echo "check-tracked: git is needed to list the tracked files" >&2
    exit 1
  fi
  echo "check-tracked: not a git checkout (no git); nothing tracked to check"
  exit 0
fi
if ! git_ rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if [ -e .git ]; then
    git_ rev-parse --is-inside-work-tree >&2 || true
    echo "check-tracked: git cannot read this checkout" >&2
    exit 1
  fi
  echo "check-tracked: not a git checkout; nothing tracked to check"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# hex BLOB N: the first N bytes of the blob as lower-case hex, no spaces.
# head closes the pipe early on a large blob; that SIGPIPE is not an error.
hex() {
  local h
  set +o pipefail
  h=$(git_ cat-file blob "$1" | head -c "$2" | od -An -tx1 -v)
  set -o pipefail
  echo "${h//[[:space:]]/}"
}

# is_pe BLOB: an "MZ" file is a PE image when the offset at 0x3c points at
# "PE\0\0" (a text file may well start with MZ).
is_pe() {
  local h off
  h=$(hex "$1" 4096)
  [ ${#h} -ge 128 ] || return 1
  off=$((16#${h:126:2}${h:124:2}${h:122:2}${h:120:2}))
  [ $((off * 2 + 8)) -le ${#h} ] && [ "${h:$((off * 2)):8}" = 50450000 ]
}

# kind HEX BLOB sets k to what compiled binary a file whose first 8 bytes
# are HEX is, or to nothing.
kind() {
  k=
  case "$1" in
  7f454c46*) k="ELF executable or object" ;;
  feedface* | feedfacf* | cefaedfe* | cffaedfe*) k="Mach-O executable or object" ;;
  cafebabe* | cafebabf*) k="Mach-O universal binary or Java class" ;;
  0061736d*) k="WebAssembly module" ;;
  213c617263683e0a) k="ar archive (static library)" ;;
  4d5a*) if is_pe "$2"; then k="PE (Windows) executable"; fi ;;
  esac
}

large_allowed() {
  local p
  for p in "${large_ok[@]}"; do
    case "$1" in "$p"*) return 0 ;; esac
  done
  return 1
}

# Every tracked regular file (mode 100644 or 100755: symlinks and
# submodules hold no content of their own), its blob and the blob's size.
# Through files, so that a failing git fails the check.
git_ ls-files -z --stage >"$tmp/index"
blobs=()
paths=()
while IFS= read -r -d '' entry; do
  meta=${entry%%$'\t'*}
  read -r mode blob _ <<<"$meta"
  case "$mode" in 100644 | 100755)
    blobs+=("$blob")
    paths+=("${entry#*$'\t'}")
    ;;
  120000)
    # A link to an absolute path is a machine's own set-up (a worktree's
    # web/node_modules pointing at another checkout's), never the project's.
    target=$(git_ cat-file blob "$blob")
    case "$target" in /*)
      echo "check-tracked: ${entry#*$'\t'} is a tracked symlink to $target, a local set-up: git rm --cached it" >&2
      bad_links=1
      ;;
    esac
    ;;
  esac
done <"$tmp/index"
if [ "${bad_links:-0}" = 1 ]; then
  exit 1
fi
if [ ${#blobs[@]} -eq 0 ]; then
  echo "check-tracked: git lists no tracked files" >&2
  exit 1
fi
printf '%s\n' "${blobs[@]}" | git_ cat-file --batch-check='%(objectsize)' >"$tmp/sizes"
mapfile -t sizes <"$tmp/sizes"
if [ ${#sizes[@]} -ne ${#blobs[@]} ]; then
  echo "check-tracked: git cat-file answered ${#sizes[@]} sizes for ${#blobs[@]} files" >&2
  exit 1
fi

# The first bytes come from the working tree, one od each, where it holds
# what git holds; from git for the files changed since they were staged.
git_ ls-files -z --modified --deleted >"$tmp/changed"
declare -A changed=()
while IFS= read -r -d '' p; do changed[$p]=1; done <"$tmp/changed"

bad=0
for i in "${!blobs[@]}"; do
  blob=${blobs[$i]} path=${paths[$i]} size=${sizes[$i]}
  if ! [[ "$size" =~ ^[0-9]+$ ]]; then
    echo "check-tracked: $path: blob $blob: $size" >&2
    bad=1
    continue
  fi
  if [ -n "${changed[$path]-}" ] || [ ! -f "$path" ] || [ -L "$path" ]; then
    h=$(hex "$blob" 8)
  else
    h=$(od -An -tx1 -N8 -v -- "$path")
    h=${h//[[:space:]]/}
  fi
  kind "$h" "$blob"
  if [ -n "$k" ]; then
    echo "check-tracked: $path is a compiled binary ($k, $size bytes)" >&2
    bad=1
  elif [ "$size" -gt "$max_bytes" ] && ! large_allowed "$path"; then
    echo "check-tracked: $path is $size bytes, over $max_bytes (only ${large_ok[*]} may hold larger files)" >&2
    bad=1
  fi
done

if [ "$bad" != 0 ]; then
  echo "check-tracked: take them out of git (git rm --cached PATH) and have .gitignore ignore build output" >&2
  exit 1
fi
echo "check-tracked: ${#blobs[@]} tracked files, no compiled binary, none over $max_bytes bytes outside ${large_ok[*]}"
