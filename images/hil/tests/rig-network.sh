# The network path to the host is real: the guest's eth0 (virtio-net, qemu
# user networking) reaches a port on the host as 10.0.2.2, as the kiosk will
# reach an intake running on the host in the end-to-end tests.
. /hil/lib.sh
ip -4 addr show eth0 | grep -q 10.0.2.15 || fail "eth0 has no 10.0.2.15"
answer=$(hil_host tcp-listen) || fail "the host could not listen"
port=${answer##* }
echo "host listens on $port"
printf 'POST /wayside-hil HTTP/1.0\r\n\r\n' | nc 10.0.2.2 "$port" || fail "nc to 10.0.2.2:$port failed"
hil_host tcp-expect "$port" "$(printf 'POST /wayside-hil' | od -An -tx1 | tr -d ' \n')" \
  || fail "the bytes did not arrive at the host"
