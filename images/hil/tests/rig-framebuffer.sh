# The framebuffer path is real: bands drawn into /dev/fb0 show up in the
# host's QMP screenshot (bochs-drm, XRGB8888).
. /hil/lib.sh
fb=/sys/class/graphics/${HIL_FB##*/}
IFS=, read -r w h < "$fb/virtual_size"
bpp=$(cat "$fb/bits_per_pixel")
stride=$(cat "$fb/stride")
[ "$bpp" = 32 ] || fail "expected 32 bits per pixel, $HIL_FB has $bpp"
echo "framebuffer ${w}x$h, stride $stride"

# repeat FILE BYTES: FILE grown by doubling, then cut to BYTES.
repeat() {
  while [ "$(wc -c < "$1")" -lt "$2" ]; do cat "$1" "$1" > "$1.2"; mv "$1.2" "$1"; done
  head -c "$2" "$1" > "$1.2" && mv "$1.2" "$1"
}
band=$((h / 4))
: > /tmp/screen
# Pixels are little-endian XRGB: blue, green, red, unused.
for px in '\000\000\377\000' '\000\377\000\000' '\377\000\000\000' '\377\377\377\000'; do
  printf "$px" > /tmp/row
  repeat /tmp/row "$stride"
  cp /tmp/row /tmp/band
  repeat /tmp/band $((stride * band))
  cat /tmp/band >> /tmp/screen
done
repeat /tmp/screen $((stride * h))
cat /tmp/screen > "$HIL_FB" || fail "write to $HIL_FB failed"
# The DRM fbdev emulation flushes damage from a worker: give it a moment.
sleep 1
hil_host screendump fb-bands bands=ff0000,00ff00,0000ff,ffffff || fail "the screenshot does not show the bands"
