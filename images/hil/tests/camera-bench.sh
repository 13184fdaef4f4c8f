# Capture cost on real drivers: V4L2Camera against v4l2-ctl --stream-mmap on the same
# node, frames/s and CPU per frame, printed with the ratio (the benchmark figure of the
# camera issue; informative, it passes unless the benchmark itself fails).
#  1. YUYV 640x480 on vivid (a frame injected through its loop);
#  2. MJPEG 1280x720 on v4l2loopback, fed at 30 frames/s by `waysidectl camera feed`
#     in a process of its own (vivid offers no compressed format).
. /hil/lib.sh
out="$HIL_SHARE/out/camera-bench.txt"
hil_host inject bench.yuyv 640 480 YUYV || fail "the harness could not inject a frame"
waysidectl bench camera --device "$HIL_CAMERA" --size 640x480 --format yuyv --frames 150 \
  | tee "$out" || fail "bench camera (YUYV on vivid) failed"

v4l2-ctl -d "$HIL_LOOPBACK" -c keep_format=1 \
  && v4l2-ctl -d "$HIL_LOOPBACK" --set-fmt-video-out=width=1280,height=720,pixelformat=MJPG \
  || fail "cannot set MJPEG 1280x720 on the loopback's output"
waysidectl camera feed --device "$HIL_LOOPBACK" --fps 30 --seconds 120 > /tmp/feed.log 2>&1 &
feeder=$!
sleep 2
kill -0 "$feeder" 2>/dev/null || { cat /tmp/feed.log; fail "the MJPEG feeder stopped"; }
waysidectl bench camera --device "$HIL_LOOPBACK" --size 1280x720 --format mjpeg --frames 90 \
  | tee -a "$out"
status=$?
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
cat /tmp/feed.log
[ "$status" -eq 0 ] || fail "bench camera (MJPEG on v4l2loopback) failed"
