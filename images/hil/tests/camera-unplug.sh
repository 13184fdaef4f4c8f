# Unplug and replug on a real driver: vivid's platform device is unbound while
# V4L2Camera streams (the node disappears and ioctls fail with ENODEV, as when a
# USB camera is pulled), then bound again. The kiosk's camera must report the
# unplug as a named fault, keep trying with back-off, and stream again from the
# new node without a restart. The devices are left as the guest's init made them.
. /hil/lib.sh
dev=/sys/bus/platform/devices/vivid.0
drv=/sys/bus/platform/drivers/vivid
[ -e "$dev" ] || fail "no vivid platform device at $dev"

waysidectl camera watch --device "$HIL_CAMERA" --size 640x480 --format yuyv \
  --seconds 90 --exit-after-recovery 10 > /tmp/watch.log 2>&1 &
watcher=$!
i=0
until grep -q "frames" /tmp/watch.log 2>/dev/null; do
  sleep 0.5; i=$((i + 1))
  [ $i -lt 60 ] || { kill $watcher; cat /tmp/watch.log; fail "no frames before the unplug"; }
done
echo vivid.0 > "$drv/unbind" || fail "cannot unbind vivid"
echo "unplugged at $(date +%s)"
sleep 3
echo vivid.0 > "$drv/bind" || fail "cannot bind vivid again"
echo "replugged at $(date +%s)"

wait $watcher
code=$?
cat /tmp/watch.log
# Restore what init set up on the new nodes (input/output, loopback, 640x480 YUYV),
# now that nothing streams from them.
v4l2-ctl -d "$HIL_CAMERA" --set-input=3 > /dev/null || fail "the camera node did not come back as $HIL_CAMERA"
v4l2-ctl -d "$HIL_VIDEO_OUT" --set-output=1 > /dev/null
v4l2-ctl -d "$HIL_CAMERA" -c loop_video=1,osd_text_mode=2
for node in "$HIL_CAMERA" "$HIL_VIDEO_OUT"; do v4l2-ctl -d "$node" --set-dv-bt-timings index=0 > /dev/null; done
v4l2-ctl -d "$HIL_CAMERA" --set-fmt-video width=640,height=480,pixelformat=YUYV > /dev/null
v4l2-ctl -d "$HIL_VIDEO_OUT" --set-fmt-video-out width=640,height=480,pixelformat=YUYV > /dev/null \
  || fail "cannot restore vivid's loopback set-up"
[ "$code" -eq 0 ] || fail "camera watch exited with $code: no recovery after the replug"
grep -qi "unplugged" /tmp/watch.log || fail "the unplug was not reported as 'unplugged'"
grep -qi "recovered" /tmp/watch.log || fail "no recovery was reported"
