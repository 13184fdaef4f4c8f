# The camera path is real: a frame the harness injects through vivid's
# output node comes back bit-exact on the capture node (loop_video, no OSD).
. /hil/lib.sh
w=640 h=480 size=$((640 * 480 * 2))
v4l2-ctl -d "$HIL_CAMERA" --get-fmt-video | grep -q "Width/Height *: $w/$h" || fail "capture is not ${w}x$h"
hil_host inject loop.yuyv $w $h YUYV || fail "the harness could not inject a frame"
want=$(head -n1 "$HIL_SHARE/loop.yuyv.sha256")
v4l2-ctl -d "$HIL_CAMERA" --stream-mmap=3 --stream-count=8 --stream-to=/tmp/cap.yuyv \
  || fail "capture from $HIL_CAMERA failed"
frames=$(( $(wc -c < /tmp/cap.yuyv) / size ))
[ "$frames" -eq 8 ] || fail "captured $frames whole frames, expected 8"
matched=0
i=0
while [ $i -lt $frames ]; do
  got=$(dd if=/tmp/cap.yuyv bs=$size skip=$i count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
  echo "frame $i: $got"
  [ "$got" = "$want" ] && matched=$((matched + 1))
  i=$((i + 1))
done
echo "injected: $want; $matched of $frames captured frames identical"
# The first frames may predate the injection; the last must be the frame.
[ "$got" = "$want" ] || fail "the last captured frame differs from the injected one"
