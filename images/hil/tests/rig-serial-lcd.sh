# The serial LCD path is real: every byte value written to the guest's
# ttyS1 (raw mode) arrives unchanged at the host end of the socket.
. /hil/lib.sh
stty -F "$HIL_LCD" raw -echo -onlcr 9600 || fail "cannot put $HIL_LCD in raw mode"
hex=
i=0
: > /tmp/all-bytes
while [ $i -lt 256 ]; do
  printf "\\$(printf %03o $i)" >> /tmp/all-bytes
  hex=$hex$(printf %02x $i)
  i=$((i + 1))
done
[ "$(wc -c < /tmp/all-bytes)" -eq 256 ] || fail "could not make the 256 test bytes"
cat /tmp/all-bytes > "$HIL_LCD" || fail "write to $HIL_LCD failed"
hil_host serial-expect "$hex" 20 || fail "the bytes did not arrive at the host"
