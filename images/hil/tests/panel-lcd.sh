# The serial LCD contract on a real UART: waysidectl's SerialLCD (termios raw 8N1 at the
# profile's baud, non-blocking) sends the OpenLCD byte stream its encoder documents, and
# exactly those bytes arrive at the host end of ttyS1. 16x2 with a Creole custom glyph,
# then 20x4.
. /hil/lib.sh
command -v waysidectl >/dev/null || fail "waysidectl is not in the guest"

out=$(waysidectl panel lcd-write --device "$HIL_LCD" --baud 9600 --size 16x2 --language ht \
  --title "Byenveni" --line "Peze nenpot bouton" --print-hex) || { echo "$out"; fail "lcd-write 16x2 failed"; }
echo "$out"
hex=$(echo "$out" | tail -n1)
case "$hex" in 7c047c067c2f*) ;; *) fail "the 16x2 stream does not start with the width, height and quiet settings" ;; esac
hil_host serial-expect "$hex" 20 || fail "the 16x2 screen did not arrive at the host"

out=$(waysidectl panel lcd-write --device "$HIL_LCD" --baud 9600 --size 20x4 --language ht \
  --title "Chwazi lang ou" --choice "Kreyòl ayisyen" --choice "Français" --choice "English" --print-hex) \
  || { echo "$out"; fail "lcd-write 20x4 failed"; }
echo "$out"
hex=$(echo "$out" | tail -n1)
# ò and ç are custom glyphs: defined with 0x7C 27+n and printed with 0x7C 35+n.
case "$hex" in *7c1b*) ;; *) fail "no custom glyph was defined for the accented letters" ;; esac
case "$hex" in *fe94*) ;; *) fail "row 3 of a 20x4 was not addressed at DDRAM 0x14" ;; esac
hil_host serial-expect "$hex" 20 || fail "the 20x4 screen did not arrive at the host"

# A port that is not there is a named fault, not a hang.
waysidectl panel lcd-write --device /dev/ttyS9 --title x > /tmp/nolcd 2>&1
cat /tmp/nolcd
grep -q 'FAIL .*(missing)\|FAIL .*(unplugged)\|FAIL .*(ioError)' /tmp/nolcd || fail "a missing port was not reported as a fault"

# The screen contract: every language's prompt and the edge cases, none refused; should the
# port's buffer fill, the non-blocking writes drop (and say how much) rather than wait.
waysidectl panel screen-contract --lcd "$HIL_LCD" --baud 9600 || fail "the serial LCD refused a screen"
