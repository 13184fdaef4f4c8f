# End to end on real drivers: the release kiosk in the guest registers a person.
# A scripted visitor presses the qemu board's buttons through gpio-sim (kernel edges,
# the kiosk's own debounce), a face sequence plays through vivid over V4L2 and the
# kiosk's face engine (dlib, the real models) takes the photo and its template, the
# submission is sealed into the SQLite outbox and forwarded over the VM's network to
# the real wayside-intake on the host, and the receipt is on the framebuffer, where
# the host takes a screenshot over QMP.
. /hil/lib.sh
command -v wayside > /dev/null || fail "wayside is not in the guest (not built on the host?)"
answer=$(hil_host intake-start) || fail "the host could not start wayside-intake: $answer"
set -- $answer
port=$3 token=$5
[ -n "$port" ] && [ -n "$token" ] || fail "no port and token in '$answer'"
intake="http://10.0.2.2:$port"

models=$(hil_host models) || fail "the host has no face models to share: $models"
export WAYSIDE_MODELS="${models#host: }"
hil_host inject-face face.yuyv 640 480 || fail "the harness could not inject the face sequence"

state=/tmp/kiosk
rm -rf "$state"
printf '%s\n' "$token" > /tmp/enrol.token
waysidectl enrol --state-dir "$state" --intake "$intake" --token-file /tmp/enrol.token \
  --device-id hil-kiosk --role shelter || fail "enrolment with $intake failed"

# The qemu board as shipped, with this intake and a scratch data directory. The visitor
# looks at the receipt for 8 s before leaving, while the host takes its screenshot.
# The kiosk's log goes straight to the share, so that a stalled run leaves it behind.
sed -e "s|^data_directory = .*|data_directory = \"$state\"|" \
    -e "s|^url = .*|url = \"$intake\"|" "$WAYSIDE_BOARD_DIR/qemu-x86_64.toml" > /tmp/e2e.toml
start=$(date +%s)
log="$HIL_SHARE/out/e2e.err"
kiosk_start "$log" 210 --board /tmp/e2e.toml --script-gpio-sim "$HIL_GPIO_SIM" --wait-for-receipt \
  --linger-on-receipt 8 --visit-timeout 170
shot="not taken: no receipt"
shot_ok=false
if kiosk_log_waits 'receipt received' "$log" 180; then
  sleep 1  # the receipt screen is drawn right after the log line
  if shot=$(hil_host screendump e2e-receipt text=1); then shot_ok=true; fi
fi
kiosk_wait
code=$?
grep -v '^$' "$log" | tail -n 15
[ "$code" -eq 0 ] || fail "wayside exited with $code (log in the artifacts' out/e2e.err)"
grep -q 'scripted visit finished' "$log" || fail "the scripted visit did not finish"
# The face engine, not the first-frame fallback, took the photo: a face box and a template.
grep 'photo taken' "$log" | grep -q 'has_template=yes' \
  || fail "the photo was taken without a face template (no models, or no face found in the sequence)"
grep -q 'submission saved' "$log" || fail "the kiosk did not log the committed submission"
grep -q 'receipt received' "$log" || fail "no receipt came back from the intake"
$shot_ok || fail "the receipt screenshot: $shot"
wget -qO /tmp/status.html "$intake/status" || fail "cannot read the intake's status page"
tr -d '\n' < /tmp/status.html | grep -q '<td>hil-kiosk</td><td>shelter</td><td>[0-9]* min ago</td><td>1</td>' \
  || fail "the intake's status page does not show one submission from hil-kiosk"
# The intake opened the seal and stored the photo and the template the guest's dlib made.
stored=$(hil_host intake-submissions) || fail "cannot ask the host what its intake stored"
echo "$stored"
case "$stored" in *"submissions 1 photos 1 templates 1 "*) ;; *) fail "the intake did not store one submission with photo and template: $stored" ;; esac
if grep -q LOPEZ "$state"/outbox.sqlite*; then fail "the outbox holds the typed name in the clear"; fi
echo "visit through gpio-sim, vivid with a face, dlib, the framebuffer; receipt from the host's intake in $(( $(date +%s) - start )) s; ${shot#host: }"
