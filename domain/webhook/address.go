package webhook

import "net/netip"

// Reachable says whether deliveries may connect to ip. Webhooks reach the
// tenants' own public services; an address inside the server's networks
// (loopback, private, link-local, shared carrier-grade NAT, unspecified,
// multicast) would let a tenant make supportd call what only it can
// reach. The check is made on the address actually dialled, after name
// resolution, so a name that resolves inward is refused too.
func Reachable(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified():
		return false
	case carrierNAT.Contains(ip):
		return false
	}
	return true
}

// carrierNAT is the shared address space of RFC 6598.
var carrierNAT = netip.MustParsePrefix("100.64.0.0/10")
