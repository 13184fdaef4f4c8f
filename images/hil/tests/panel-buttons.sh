# The button contract on real GPIO: waysidectl's GPIOButtons (libgpiod 1.6, pull-up
# bias, both edges, debounce on the kernel's timestamps) against the gpio-sim bank.
# gpio-sim pull files are the fingers: a clean press, a chatter burst, a long press with
# auto-repeat; then the help lamp output; then the harness's own presses; then the
# named faults (line busy, chip missing).
. /hil/lib.sh
board=$WAYSIDE_BOARD_DIR/qemu-x86_64.toml
command -v waysidectl >/dev/null || fail "waysidectl is not in the guest (build it: swift build -c release)"

# Under emulation a burst of 30 sysfs writes takes longer than on a board; a 50 ms window
# keeps "chatter" what it is meant to be (waysidectl prints how long the burst took).
waysidectl panel buttons-contract --board "$board" --sim "$HIL_GPIO_SIM" --button ok --debounce-ms 50 \
  || fail "the button contract failed on gpio-sim"

# The harness's presses (the agent writes the same pull files) reach the kiosk as one
# press and one release.
waysidectl panel buttons --board "$board" --count 2 > /tmp/events 2>&1 &
pid=$!
i=0
until gpioinfo "$HIL_GPIOCHIP" | grep -q '"wayside"'; do
  i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; cat /tmp/events; fail "waysidectl did not request its lines"; }
  sleep 0.1
done
hil_host press ok || fail "the harness could not press ok"
sleep 0.3
hil_host release ok || fail "the harness could not release ok"
i=0
while kill -0 $pid 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; cat /tmp/events; fail "no press and release within 10 s"; }
  sleep 0.1
done
cat /tmp/events
[ "$(cat /tmp/events)" = "$(printf 'press ok\nrelease ok')" ] || fail "expected 'press ok' then 'release ok'"

# A line another process holds is the named fault 'busy', not a crash.
set -- $(gpiofind ok) || fail "gpiofind finds no line named ok"
gpiomon "$1" "$2" > /dev/null 2>&1 &
mon=$!
sleep 0.5
waysidectl panel buttons --board "$board" --count 1 > /tmp/busy 2>&1
status=$?
kill $mon
cat /tmp/busy
[ $status = 0 ] || fail "waysidectl exited $status on a busy line"
grep -q '^fault busy' /tmp/busy || fail "a busy line was not reported as 'fault busy'"

# A chip that is not there is the named fault 'missing'.
sed 's/^chip = .*/chip = "wayside-no-such-chip"/' "$board" > /tmp/nochip.toml
waysidectl panel buttons --board /tmp/nochip.toml --count 1 > /tmp/missing 2>&1
cat /tmp/missing
grep -q '^fault missing' /tmp/missing || fail "a missing chip was not reported as 'fault missing'"
