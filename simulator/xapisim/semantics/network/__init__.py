"""Networks: networks, physical and VLAN PIFs, VIFs and their locking and IP configuration."""
