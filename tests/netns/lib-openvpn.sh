# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Setup shared by the tunshare tests with OpenVPN lanes (50, 51), sourced
# after tests/netns/lib-tunshare.sh.

# ts_openvpn_sites LANES: the tools (or skip when not root), namespaces,
# certificates, and sites A and B with LANES OpenVPN lanes each; fails
# unless every lane completes its TLS handshake within 20 s and a ping
# crosses the tunnel within 10 s.
ts_openvpn_sites() {
	local lanes=$1 l
	ts_require openvpn openssl iperf3
	tl_setup_ns
	ts_certs
	ts_site a "$lanes"
	ts_site b "$lanes"
	for ((l = 0; l < lanes; l++)); do
		ts_wait_up a "$l" 20 || fail "site A lane $l: no TLS handshake within 20 s"
		ts_wait_up b "$l" 20 || fail "site B lane $l: no TLS handshake within 20 s"
	done
	tl_ping_until "$NS_A" "$TB4" 10 || fail "no ping reply through the tunnel within 10 s"
}
