# The button path is real: when the harness presses and releases a button,
# gpiomon sees a falling then a rising edge (buttons are active low) on the
# gpio-sim line named after the board profile's button.
. /hil/lib.sh
button=ok
case ",$HIL_BUTTONS," in *",$button,"*) ;; *) button=${HIL_BUTTONS%%,*} ;; esac
set -- $(gpiofind "$button") || fail "gpiofind finds no line named '$button'"
chip=$1 offset=$2
[ "$chip" = "$HIL_GPIOCHIP" ] || fail "line '$button' is on $chip, expected $HIL_GPIOCHIP"
[ "$(gpioget "$chip" "$offset")" = 1 ] || fail "a released button should read 1 (pulled up)"

gpiomon --num-events=2 --format='%e %o' "$chip" "$offset" > /tmp/events &
mon=$!
i=0
until gpioinfo "$chip" | grep -q "line *$offset:.*\"gpiomon\""; do
  i=$((i + 1)); [ $i -lt 50 ] || fail "gpiomon did not request line $offset"
  sleep 0.1
done
hil_host press "$button" || fail "the harness could not press $button"
hil_host release "$button" || fail "the harness could not release $button"
i=0
while kill -0 $mon 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 50 ] || { kill $mon; fail "gpiomon saw $(wc -l < /tmp/events) of 2 edges in 5 s"; }
  sleep 0.1
done
cat /tmp/events
[ "$(cat /tmp/events)" = "$(printf '0 %s\n1 %s' "$offset" "$offset")" ] \
  || fail "expected a falling then a rising edge on line $offset"
