#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# ON_HOST for the Redis recipe in the tests: run a command "on" a backend host, that is in
# its network namespace. ACES_TEST_HOSTS: "ADDR=NAMESPACE ..."; usage: on_host.sh ADDR CMD...
h=$1; shift
for m in $ACES_TEST_HOSTS; do
    if [ "${m%%=*}" = "$h" ]; then exec ip netns exec "${m#*=}" "$@"; fi
done
echo "on_host.sh: no namespace for $h" >&2
exit 1
