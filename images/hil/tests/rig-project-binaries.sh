# The project's release binaries run in the guest: the Swift runtime and
# every library ldd named made it into the image, and the board profiles are
# found. A binary that was not built (no .build/release) is reported, not run.
. /hil/lib.sh
found=0
for name in wayside wayside-intake waysidectl; do
  bin=/usr/local/bin/$name
  if [ ! -x "$bin" ]; then
    echo "$name: not built on the host, not in the guest"
    continue
  fi
  found=$((found + 1))
  "$bin" --help > "/tmp/$name.help" 2>&1 || { cat "/tmp/$name.help"; fail "$name --help exited with $?"; }
  echo "$name: --help ok ($(wc -l < "/tmp/$name.help") lines)"
done
[ -f "$WAYSIDE_BOARD_DIR/qemu-x86_64.toml" ] || fail "no Board/qemu-x86_64.toml in $WAYSIDE_BOARD_DIR"
echo "$found project binaries ran"
