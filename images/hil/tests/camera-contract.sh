# The kiosk's V4L2 camera against a real driver: frames the harness injects
# through vivid's output node reach V4L2Camera's consumer byte for byte, with
# sequence numbers and timestamps, and the device is released at the end
# (waysidectl camera contract runs the FrameSource contract).
. /hil/lib.sh
w=640 h=480
hil_host inject contract.yuyv $w $h YUYV 4 || fail "the harness could not inject frames"
waysidectl camera contract --device "$HIL_CAMERA" --size ${w}x$h --format yuyv \
  --expect "$HIL_SHARE/contract.yuyv" --frames 12 --warm-up 4 --timeout 60 \
  || fail "the camera contract failed on $HIL_CAMERA"
# Released: another program can stream at once.
v4l2-ctl -d "$HIL_CAMERA" --stream-mmap=3 --stream-count=2 --stream-to=/dev/null \
  || fail "the device is still held after the contract run"
