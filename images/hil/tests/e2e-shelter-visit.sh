# End to end on real drivers: the release kiosk in the guest registers a person
# (a scripted visitor on the buttons), takes the photo from vivid over V4L2,
# seals the submission into its SQLite outbox, forwards it over the VM's network
# to the real wayside-intake on the host, and shows the intake's receipt.
. /hil/lib.sh
command -v wayside > /dev/null || fail "wayside is not in the guest (not built on the host?)"
answer=$(hil_host intake-start) || fail "the host could not start wayside-intake: $answer"
set -- $answer
port=$3 token=$5
[ -n "$port" ] && [ -n "$token" ] || fail "no port and token in '$answer'"
intake="http://10.0.2.2:$port"

# The camera sees a test pattern (the guest has no face models: the kiosk takes the
# first whole frame, and says so in its log).
hil_host inject scene.yuyv 640 480 YUYV || fail "the harness could not inject frames"

state=/tmp/kiosk
rm -rf "$state"
printf '%s\n' "$token" > /tmp/enrol.token
waysidectl enrol --state-dir "$state" --intake "$intake" --token-file /tmp/enrol.token \
  --device-id hil-kiosk --role shelter || fail "enrolment with $intake failed"

# The qemu board as shipped (GPIO buttons on gpio-sim, the framebuffer, vivid), with
# this intake and a scratch data directory. The scripted visitor's finger is gpio-sim:
# every press is a kernel edge that the kiosk's own GPIO code debounces.
sed -e "s|^data_directory = .*|data_directory = \"$state\"|" \
    -e "s|^url = .*|url = \"$intake\"|" "$WAYSIDE_BOARD_DIR/qemu-x86_64.toml" > /tmp/e2e.toml
start=$(date +%s)
wayside --board /tmp/e2e.toml --script-gpio-sim "$HIL_GPIO_SIM" --wait-for-receipt --visit-timeout 150 \
  > /tmp/e2e.out 2> /tmp/e2e.err
code=$?
cp /tmp/e2e.out /tmp/e2e.err "$HIL_SHARE/out/" 2>/dev/null
tail -n 15 /tmp/e2e.err
[ "$code" -eq 0 ] || fail "wayside exited with $code (log in the artifacts' out/e2e.err)"
# The visit ends only on the receipt screen; the intake saw this kiosk's submission.
grep -q 'scripted visit finished' /tmp/e2e.err || fail "the scripted visit did not finish"
grep -q 'submission saved' /tmp/e2e.err || fail "the kiosk did not log the committed submission"
wget -qO /tmp/status.html "$intake/status" || fail "cannot read the intake's status page"
tr -d '\n' < /tmp/status.html | grep -q '<td>hil-kiosk</td><td>shelter</td><td>[0-9]* min ago</td><td>1</td>' \
  || fail "the intake's status page does not show one submission from hil-kiosk"
if grep -q LOPEZ "$state"/outbox.sqlite*; then fail "the outbox holds the typed name in the clear"; fi
echo "visit through gpio-sim, framebuffer and vivid, receipt from the host's intake, in $(( $(date +%s) - start )) s"
