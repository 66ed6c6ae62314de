"""Storage: SRs and their drivers, PBDs that attach them to hosts, VDIs, VBDs and the space they take."""
