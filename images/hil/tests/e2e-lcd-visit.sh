# End to end on the serial LCD: the release kiosk in the guest with the qemu board's
# display swapped for a 20x4 SerLCD/OpenLCD on ttyS1 (as on the Raspberry Pi profile),
# buttons pressed through gpio-sim, a visit forwarded to the real intake on the host.
# It passes only when the confirmation code the intake issued reaches the host end of
# the LCD's UART: a person at an LCD kiosk must be able to read their code. (Before the
# LCD paged long screens, the code sat past the 20th column and was never shown.)
. /hil/lib.sh
command -v wayside > /dev/null || fail "wayside is not in the guest (not built on the host?)"
answer=$(hil_host intake-start) || fail "the host could not start wayside-intake: $answer"
set -- $answer
port=$3 token=$5
[ -n "$port" ] && [ -n "$token" ] || fail "no port and token in '$answer'"
intake="http://10.0.2.2:$port"
# No face models here (the face path is e2e-shelter-visit's): the kiosk takes the first
# whole frame of the test pattern, and says so.
hil_host inject scene.yuyv 640 480 YUYV || fail "the harness could not inject frames"

state=/tmp/kiosk-lcd
rm -rf "$state"
printf '%s\n' "$token" > /tmp/enrol.token
waysidectl enrol --state-dir "$state" --intake "$intake" --token-file /tmp/enrol.token \
  --device-id hil-lcd-kiosk --role shelter || fail "enrolment with $intake failed"

# The qemu board with its [display] replaced by the LCD.
awk -v lcd="$HIL_LCD" '
  /^\[display\]/ { print; print "kind = \"serial-lcd\""; print "device = \"" lcd "\""; print "baud = 9600";
                   print "columns = 20"; print "rows = 4"; skip = 1; next }
  /^\[/ { skip = 0 }
  !skip { print }' "$WAYSIDE_BOARD_DIR/qemu-x86_64.toml" \
  | sed -e "s|^data_directory = .*|data_directory = \"$state\"|" -e "s|^url = .*|url = \"$intake\"|" > /tmp/e2e-lcd.toml
log="$HIL_SHARE/out/e2e-lcd.err"
export WAYSIDE_MODELS=/nonexistent  # no models: the first-frame photo taker
kiosk_start "$log" 190 --board /tmp/e2e-lcd.toml --script-gpio-sim "$HIL_GPIO_SIM" \
  --wait-for-receipt --linger-on-receipt 10 --visit-timeout 150
seen="no receipt, nothing to look for"
seen_ok=false
if kiosk_log_waits 'receipt received' "$log" 170; then
  stored=$(hil_host intake-submissions) || fail "cannot ask the host what its intake stored"
  code=${stored##*codes }
  # The receipt screen pages every 3 s; the code is on its second page.
  if seen=$(hil_host serial-expect "$(hex "$code")" 8); then seen_ok=true; fi
fi
kiosk_wait
status=$?
grep -v '^$' "$log" | tail -n 12
[ "$status" -eq 0 ] || fail "wayside exited with $status (log in the artifacts' out/e2e-lcd.err)"
grep -q 'scripted visit finished' "$log" || fail "the scripted visit did not finish"
$seen_ok || fail "the confirmation code ${code:-?} did not reach the LCD: ${seen#host: }"
echo "confirmation code $code issued by the intake and shown on the LCD; ${seen#host: }"
