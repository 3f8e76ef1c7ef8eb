package webhook

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"supportd/domain"
)

// Reachable says whether deliveries may connect to ip. Webhooks reach the
// tenants' own public services; an address inside the server's networks
// (loopback, private, link-local, shared carrier-grade NAT, unspecified,
// multicast) or any other special-purpose range (IANA's registries: "this
// network" 0.0.0.0/8, NAT64 prefixes that embed an IPv4 address, IPv4-mapped
// and IPv4-compatible IPv6, 6to4, Teredo, documentation, benchmarking,
// reserved) would let a tenant make supportd call what only it can reach.
// The check is made on the address actually dialled, after name resolution,
// so a name that resolves inward is refused too; registration checks
// literal addresses as well (CheckURLAddress).
func Reachable(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	if ip.Is4In6() {
		return false // IPv4-mapped: dialled as the IPv4 address inside
	}
	switch {
	case ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified():
		return false
	}
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var specialPurpose = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // this network
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"240.0.0.0/4",     // reserved, and the broadcast address
		"::/96",           // IPv4-compatible (deprecated), :: and ::1
		"64:ff9b::/96",    // NAT64, well-known prefix
		"64:ff9b:1::/48",  // NAT64, local-use
		"100::/64",        // discard-only
		"2001::/32",       // Teredo
		"2001:2::/48",     // benchmarking
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing
		"fec0::/10",       // site-local (deprecated)
		"fc00::/7",        // unique local
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// CheckURLAddress refuses a webhook URL whose host is an address (in any
// spelling: bracketed IPv6, dotted, decimal, octal or hexadecimal IPv4) or a
// local name that deliveries may not reach. Other names are checked when
// dialled.
func CheckURLAddress(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil // ValidateURL refuses it
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	refuse := func() error {
		return domain.Errorf(domain.Invalid, "webhook.url_unreachable", "url",
			"must reach a public address: %s is loopback, private, link-local or reserved", host)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return refuse()
	}
	if ip, ok := hostAddr(host); ok && !Reachable(ip) {
		return refuse()
	}
	return nil
}

// hostAddr reads host as an IP address the way resolvers do: IPv6 (zone
// dropped), or IPv4 in inet_aton's forms (1 to 4 parts, each decimal,
// 0-prefixed octal or 0x-prefixed hexadecimal: 2130706433, 0177.0.0.1,
// 127.1, 0x7f.1).
func hostAddr(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.WithZone(""), true
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, digits = 16, p[2:]
			if digits == "" {
				digits = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	last := len(nums) - 1
	for i, n := range nums[:last] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (24 - 8*i)
	}
	if nums[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	v |= nums[last]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
