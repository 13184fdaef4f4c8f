# Helpers for the guest side of a HIL device test; a test sources it with
#   . /hil/lib.sh
# The environment already names the devices (from /run/hil.env):
#   HIL_CAMERA, HIL_VIDEO_OUT   vivid capture and output nodes
#   HIL_LOOPBACK                a v4l2loopback node (frames written to it are captured)
#   HIL_GPIOCHIP, HIL_GPIO_SIM  the gpio-sim chip and its sysfs directory
#   HIL_BUTTONS                 the chip's line names, offset order
#   HIL_FB, HIL_LCD             /dev/fb0, /dev/ttyS1 (the serial LCD)
#   HIL_SHARE                   the host's share (files in and out)
#   WAYSIDE_BOARD_DIR           the project's Board/ profiles, in the share
# The project's release binaries (wayside, waysidectl, ...) are on PATH.

# hil_host REQUEST...: asks the harness on the host to do something and
# waits for its answer; returns its code. Requests (see images/hil/run):
#   inject NAME W H FOURCC     make a test pattern frame and play it through vivid
#   press NAME / release NAME  press or release a button (gpio-sim line)
#   serial-expect HEX          the host received these bytes from ttyS1
#   screendump NAME [CHECK]    take a screenshot (PNG among the artifacts)
#   tcp-listen                 a host port that records bytes ("port N"; the
#                              guest reaches the host as 10.0.2.2)
#   tcp-expect PORT HEX        the host received these bytes on that port
#   intake-start               the real wayside-intake on the host ("port N token T")
#   inject-face NAME W H       play a person stepping in front of the camera (YUYV)
#   models                     put the face models in the share (answers their path)
#   intake-submissions         what the intake this test started stored ("submissions N photos N
#                              templates N codes C1,C2")
hil_host() {
  _id=$$-$RANDOM
  _timeout=${HIL_HOST_TIMEOUT:-60}
  echo "req $_id $*" >&3
  _i=0
  while [ ! -f "/run/hil/req/$_id" ]; do
    sleep 0.1
    _i=$((_i + 1))
    if [ "$_i" -ge $((_timeout * 10)) ]; then
      echo "hil_host: no answer from the host to '$*' after ${_timeout}s" >&2
      return 124
    fi
  done
  read -r _code _msg < "/run/hil/req/$_id"
  rm -f "/run/hil/req/$_id"
  [ -z "$_msg" ] || echo "host: $_msg"
  return "$_code"
}

# fail MESSAGE: the test fails with this message.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# hex TEXT: the bytes of TEXT in lowercase hex, for serial-expect.
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# kiosk_start LOG LIMIT ARGS...: runs `wayside ARGS` in the background, its stderr in LOG
# (put LOG in the share, so a stalled run leaves it behind). Should it still run after
# LIMIT seconds (its own stall guard should have ended it), it gets SIGTERM.
kiosk_start() {
  _log=$1 _limit=$2
  shift 2
  wayside "$@" > /dev/null 2> "$_log" &
  kiosk_pid=$!
  ( sleep "$_limit"; kill -TERM "$kiosk_pid" 2>/dev/null \
      && echo "the kiosk was still running after $_limit s: sent SIGTERM" >&2 ) &
  kiosk_guard=$!
}

# kiosk_log_waits PATTERN LOG SECONDS: true once PATTERN is in LOG; false when the kiosk
# ended first or SECONDS passed.
kiosk_log_waits() {
  _i=0
  until grep -q "$1" "$2" 2>/dev/null; do
    kill -0 "$kiosk_pid" 2>/dev/null || return 1
    _i=$((_i + 1)); [ "$_i" -lt $(($3 * 10)) ] || return 1
    sleep 0.1
  done
}

# kiosk_wait: waits for the kiosk to end, stops its guard; returns the kiosk's status.
kiosk_wait() {
  wait "$kiosk_pid"
  _status=$?
  kill "$kiosk_guard" 2>/dev/null
  return "$_status"
}
