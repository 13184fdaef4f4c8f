# Capture cost on a real driver: V4L2Camera against v4l2-ctl --stream-mmap on
# the same vivid node, frames/s and CPU per frame, printed with the ratio
# (the benchmark figure of the camera issue; informative, it passes unless the
# benchmark itself fails).
. /hil/lib.sh
hil_host inject bench.yuyv 640 480 YUYV || fail "the harness could not inject a frame"
waysidectl bench camera --device "$HIL_CAMERA" --size 640x480 --format yuyv --frames 150 \
  | tee "$HIL_SHARE/out/camera-bench.txt" || fail "bench camera failed"
