package portal

// RouteList returns "METHOD /path" of every route in the table, for the
// permission matrix test.
func RouteList(s *Server) []string {
	var out []string
	for _, r := range s.routes {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
