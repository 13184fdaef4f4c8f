# The guest came up with every device the other tests rely on.
. /hil/lib.sh
[ -c "$HIL_CAMERA" ] || fail "no vivid capture node"
[ -c "$HIL_VIDEO_OUT" ] || fail "no vivid output node"
[ -c "$HIL_FB" ] || fail "no framebuffer"
[ -c "$HIL_LCD" ] || fail "no ttyS1"
[ -n "$HIL_GPIOCHIP" ] && [ -c "/dev/$HIL_GPIOCHIP" ] || fail "no gpio-sim chip"
gpioinfo "$HIL_GPIOCHIP"
v4l2-ctl -d "$HIL_CAMERA" --all | head -40
