# The framebuffer contract on a real fbdev driver: waysidectl's FramebufferScreen
# (FBIOGET_VSCREENINFO/FSCREENINFO, mmap, FreeType + HarfBuzz with Noto) draws a screen,
# writes its own PNG of what it drew, and the host's screenshot of the emulated display
# must match it row for row. English (dark on light) and Arabic (right to left).
. /hil/lib.sh
command -v waysidectl >/dev/null || fail "waysidectl is not in the guest"
for lang in en ar; do
  waysidectl panel fb-render --device "$HIL_FB" --language "$lang" --screenshot "$HIL_SHARE/out/panel-$lang-guest.png" \
    || fail "fb-render $lang failed"
  # The DRM fbdev emulation flushes damage from a worker: give it a moment.
  sleep 1
  hil_host screendump "panel-fb-$lang" "same=panel-$lang-guest.png" || fail "the display does not show what the renderer drew ($lang)"
done
# High contrast: white paper at the top left, the black footer band at the bottom.
fb=/sys/class/graphics/${HIL_FB##*/}
IFS=, read -r w h < "$fb/virtual_size"
hil_host screendump panel-fb-contrast "pixel=4,4,ffffff" || fail "the paper is not white"
hil_host screendump panel-fb-band "pixel=4,$((h - 4)),000000" || fail "the footer band is not black"

# The screen contract: every language's prompt and the edge cases, none refused.
waysidectl panel screen-contract --fb "$HIL_FB" || fail "the framebuffer refused a screen"
